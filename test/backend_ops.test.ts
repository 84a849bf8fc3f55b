// The backend-ops suite: every op case (test/harness/cases.ts) on every available fast backend,
// compared with the reference backend. Environment:
//   CTLKIT_OPS_FILTER=conv2d(N=2      only the cases whose vars() contain this text
//   CTLKIT_REQUIRE_BACKENDS=native,webgpu   a named backend that cannot be created fails the suite
import { suite, test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Backend, BackendName } from '../src/backends/backend.js';
import { createBackend } from '../src/backends/index.js';
import { selectCases } from './harness/cases.js';
import { checkCase } from './harness/check_case.js';

const required = (process.env.CTLKIT_REQUIRE_BACKENDS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const selected = selectCases(process.env.CTLKIT_OPS_FILTER);
const reference = await createBackend('reference');

async function open(name: BackendName): Promise<Backend> {
  const be = await createBackend(name, { quiet: true });
  if (be.name !== name) {
    await be.dispose();
    throw new Error(`createBackend('${name}') returned the '${be.name}' backend`);
  }
  return be;
}

for (const name of ['native', 'webgpu'] as const) {
  let be: Backend;
  try {
    be = await open(name);
  } catch (e) {
    const reason = (e as Error).message;
    console.log(`backend_ops: ${name} not available (${reason})`);
    test(`backend_ops: ${name} not available and not required`, () => {
      assert.not.ok(required.includes(name), `CTLKIT_REQUIRE_BACKENDS names ${name}, but it is not available: ${reason}`);
    });
    continue;
  }
  const s = suite(`backend_ops ${name}`);
  for (const c of selected) {
    s(c.vars(), async () => {
      const r = await checkCase(be, reference, c);
      if (r.status === 'not supported') console.log(`backend_ops: ${name} ${r.vars} not supported`);
      assert.ok(r.status !== 'fail', `${name} ${r.vars}:\n  ${r.problems.join('\n  ')}`);
    });
  }
  s.after(() => be.dispose());
  s.run();
}

test.run();
