// The backend-ops suite: every op case (test/harness/cases.ts) on every available fast backend,
// compared with the reference backend. Environment:
//   CTLKIT_OPS_FILTER=conv2d(N=2      only the cases whose vars() contain this text
//   CTLKIT_REQUIRE_BACKENDS=native,webgpu   a named backend that cannot be created fails the suite
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createBackend } from '../src/backends/index.js';
import { openTestBackend } from './harness/backends.js';
import { selectCases } from './harness/cases.js';
import { checkCase } from './harness/check_case.js';

const selected = selectCases(process.env.CTLKIT_OPS_FILTER);
const reference = await createBackend('reference');

for (const name of ['native', 'webgpu'] as const) {
  const be = await openTestBackend(name, 'backend_ops');
  if (!be) continue;
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

