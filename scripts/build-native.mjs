// Builds the native addon at install time with cmake-js (offline: bundled node-api-headers).
// A failed build does not fail `npm install`: ctlkit then falls back to the reference backend
// and says why when the native backend is asked for. Builds in the package root (build/Release/),
// wherever it is run from (npm runs it there; by hand it may be `node node_modules/ctlkit/scripts/…`).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
let cli;
try {
  cli = require.resolve('cmake-js/bin/cmake-js');
} catch {
  console.warn('ctlkit: cmake-js is not installed; skipping the native addon build');
  process.exit(0);
}
const root = fileURLToPath(new URL('..', import.meta.url));
const r = spawnSync(process.execPath, [cli, 'compile', '--log-level', 'warn'], { stdio: 'inherit', cwd: root });
if (r.status !== 0) {
  console.warn('ctlkit: the native addon did not build; the reference backend will be used (see the output above)');
}
process.exit(0);
