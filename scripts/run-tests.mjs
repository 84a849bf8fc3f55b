// Runs the uvu suites compiled to dist/test and ends with one plain line: "N passed, N failed".
// Usage: node scripts/run-tests.mjs [pattern]   (pattern filters test files, a regex)
// Then, when the native addon loads, the native-op suites (backend_ops, native_ops*) run once more
// per other ISA level the CPU has, with CTLKIT_ISA forced (avx512, avx2, generic): every kernel path
// is checked against the reference on this machine. CTLKIT_TEST_ISAS=none skips those runs.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const uvu = path.join('node_modules', 'uvu', 'bin.js');
const addon = path.resolve('build', 'Release', 'ctlkit.node');
// Only compiled test files run; an optional argument narrows them by name (a regex).
const filter = process.argv[2];
const select = (extra) => `^(?=.*(?:${extra}))${filter ? `(?=.*(?:${filter}))` : ''}.*\\.test\\.js$`;
const ISA_SUITES = 'backend_ops\\.test|native_ops';

/** Runs uvu over the files matching `pattern` with `env`; resolves to its counts. */
function runUvu(pattern, env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [uvu, 'dist/test', pattern], { stdio: ['ignore', 'pipe', 'inherit'], env });
    let out = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      out += chunk.toString();
    });
    child.on('close', (code) => {
      // eslint-disable-next-line no-control-regex
      const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
      const num = (label) => Number((plain.match(new RegExp(`${label}:\\s+(\\d+)`)) ?? [])[1] ?? NaN);
      const total = num('Total'), passed = num('Passed'), skipped = num('Skipped') || 0;
      if (!Number.isFinite(total) || !Number.isFinite(passed)) {
        console.error('run-tests: uvu printed no summary (did a test file crash while loading?)');
        resolve({ passed: 0, failed: 1, skipped: 0, ok: false });
        return;
      }
      const failed = total - passed; // uvu's Total leaves skipped tests out
      resolve({ passed, failed, skipped, ok: code === 0 && failed === 0 && total > 0 });
    });
  });
}

/** The ISA levels other than the default one, when the addon loads; [] otherwise. */
function otherIsas() {
  if (process.env.CTLKIT_TEST_ISAS === 'none') return [];
  const r = spawnSync(process.execPath, ['-e', `const f = require(${JSON.stringify(addon)}).cpuFeatures(); console.log(JSON.stringify(f))`], {
    encoding: 'utf8', env: { ...process.env, CTLKIT_ISA: '' },
  });
  if (r.status !== 0) return [];
  const f = JSON.parse(r.stdout);
  const chosen = process.env.CTLKIT_ISA || f.bestIsa;
  return f.isas.filter((isa) => isa !== chosen);
}

const runs = [{ label: null, pattern: filter ? `^(?=.*(?:${filter})).*\\.test\\.js$` : '\\.test\\.js$', env: process.env }];
const anyMatch = (pattern) => fs.readdirSync('dist/test').some((f) => new RegExp(pattern).test(f));
if (anyMatch(select(ISA_SUITES))) for (const isa of otherIsas()) runs.push({ label: isa, pattern: select(ISA_SUITES), env: { ...process.env, CTLKIT_ISA: isa } });

let passed = 0, failed = 0, skipped = 0, ok = true;
const perIsa = [];
for (const run of runs) {
  if (run.label) console.log(`\nrun-tests: the native-op suites again with CTLKIT_ISA=${run.label}`);
  const r = await runUvu(run.pattern, run.env);
  passed += r.passed;
  failed += r.failed;
  skipped += r.skipped;
  ok &&= r.ok;
  if (run.label) perIsa.push(`${run.label}: ${r.passed} passed, ${r.failed} failed`);
}
if (perIsa.length) console.log(`per ISA (CTLKIT_ISA forced): ${perIsa.join('; ')}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(ok && failed === 0 ? 0 : 1);
