// Runs the uvu suites compiled to dist/test and ends with one plain line: "N passed, N failed".
// Usage: node scripts/run-tests.mjs [pattern]   (pattern filters test files, a regex)
import { spawn } from 'node:child_process';
import path from 'node:path';

const uvu = path.join('node_modules', 'uvu', 'bin.js');
// Only compiled test files run; an optional argument narrows them by name (a regex).
const filter = process.argv[2];
const pattern = filter ? `^(?=.*(?:${filter})).*\\.test\\.js$` : '\\.test\\.js$';
const child = spawn(process.execPath, [uvu, 'dist/test', pattern], { stdio: ['ignore', 'pipe', 'inherit'] });

let out = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  out += chunk.toString();
});
child.on('close', (code) => {
  // eslint-disable-next-line no-control-regex
  const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
  const num = (label) => Number((plain.match(new RegExp(`${label}:\\s+(\\d+)`)) ?? [])[1] ?? NaN);
  const total = num('Total');
  const passed = num('Passed');
  const skipped = num('Skipped') || 0;
  if (!Number.isFinite(total) || !Number.isFinite(passed)) {
    console.log('0 passed, 1 failed');
    console.error('run-tests: uvu printed no summary (did a test file crash while loading?)');
    process.exit(1);
  }
  const failed = total - passed; // uvu's Total leaves skipped tests out
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(code === 0 && failed === 0 && total > 0 ? 0 : 1);
});
