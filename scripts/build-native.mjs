// Builds the native addon at install time with cmake-js (offline: bundled node-api-headers).
// A failed build does not fail `npm install`: ctlkit then falls back to the reference backend
// and says why when the native backend is asked for.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let cli;
try {
  cli = require.resolve('cmake-js/bin/cmake-js');
} catch {
  console.warn('ctlkit: cmake-js is not installed; skipping the native addon build');
  process.exit(0);
}
const r = spawnSync(process.execPath, [cli, 'compile', '--log-level', 'warn'], { stdio: 'inherit' });
if (r.status !== 0) {
  console.warn('ctlkit: the native addon did not build; the reference backend will be used (see the output above)');
}
process.exit(0);
