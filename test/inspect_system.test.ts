// ctlkit inspect --system: the machine and the native addon's ISA level, as the CLI prints them.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadNative } from '../src/backends/native/bindings.js';
import type { SystemInfo } from '../src/cli/system_info.js';
import { repoRoot } from './harness/paths.js';

const cli = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');
const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [cli, 'inspect', ...args], { encoding: 'utf8', env: { ...process.env, ...env } });

const native = (() => {
  try {
    return loadNative();
  } catch {
    return null;
  }
})();

test('--system --json reports the CPU, the cores and the ISA level the addon uses', () => {
  const r = run(['--system', '--json']);
  assert.is(r.status, 0, r.stderr);
  const info = JSON.parse(r.stdout) as SystemInfo;
  assert.is(info.cores, os.cpus().length);
  assert.is(info.node, process.version);
  if (!native) return void assert.is(info.native.loaded, false);
  assert.ok(info.native.loaded);
  const f = native.cpuFeatures();
  if (info.native.loaded) {
    assert.is(info.native.bestIsa, f.bestIsa);
    assert.equal(info.native.isas, f.isas);
    assert.is(info.native.threads, native.numThreads());
  }
});

test('CTLKIT_ISA forces the level it reports; the table names it; a checkpoint with --system or neither is an error', () => {
  if (native && native.cpuFeatures().isas.includes('avx2')) {
    const r = run(['--system'], { CTLKIT_ISA: 'avx2' });
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /^ISA in use: avx2 \(chosen at load: avx2;/m);
  }
  const both = run(['--system', 'x.safetensors']);
  assert.is(both.status, 1);
  assert.match(both.stderr, /^ctlkit: inspect: --system takes no checkpoint\n$/);
  const neither = run([]);
  assert.is(neither.status, 1);
  assert.match(neither.stderr, /^ctlkit: inspect: give a checkpoint \(a file or a folder\), or --system\n$/);
});

test.run();
