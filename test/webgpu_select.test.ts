// Backend choice through the built CLI: `--backend webgpu` without an adapter is a one-line error
// with exit code 1, and `--backend auto` takes WebGPU only on a hardware adapter (on lavapipe, or
// with no adapter at all, it runs native, or reference without the addon). "No adapter" is made real on Linux by pointing the
// Vulkan loader at a driver manifest that does not exist.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { createBackend } from '../src/backends/index.js';
import { hasHardwareAdapter } from '../src/backends/webgpu/index.js';
import { fixture, repoRoot } from './harness/paths.js';

const cli = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');
const mlp = (n: string) => fixture('sweeps', 'mlp', n);
const sweep = (backend: string, env: NodeJS.ProcessEnv = process.env) =>
  spawnSync(process.execPath, [cli, 'sweep', '--average', mlp('ft_a.safetensors'), mlp('ft_b.safetensors'), '--inputs', mlp('inputs.safetensors'), '--backend', backend], {
    encoding: 'utf8',
    env,
  });

const noVulkanDriver: NodeJS.ProcessEnv = { ...process.env, VK_ICD_FILENAMES: '/nonexistent/ctlkit-icd.json', VK_DRIVER_FILES: '/nonexistent/ctlkit-icd.json' };
delete noVulkanDriver.VK_ADD_DRIVER_FILES;
/** What `auto` falls back to without a hardware adapter: native where the addon loads. */
const fallback = await createBackend('native').then(
  async (be) => (await be.dispose(), 'native'),
  () => 'reference',
);

if (process.platform === 'linux') {
  test('--backend webgpu with no adapter: exit 1 and the no-adapter message', () => {
    const r = sweep('webgpu', noVulkanDriver);
    assert.is(r.status, 1, r.stderr);
    assert.is(r.stdout, '');
    // Dawn itself may print Vulkan loader warnings first; ctlkit's own line is the last one.
    const last = r.stderr.trim().split('\n').pop() ?? '';
    assert.match(last, /^ctlkit: webgpu: no WebGPU adapter found \(on Linux without a GPU install a Vulkan driver such as Mesa ≥ 24 lavapipe\)$/);
  });

  test('--backend auto with no adapter runs on the native backend (reference without the addon)', () => {
    const r = sweep('auto', noVulkanDriver);
    assert.is(r.status, 0, r.stderr);
    assert.ok(r.stdout.includes(`8 samples, ${fallback} backend`), r.stdout);
  });
}

test('--backend auto takes WebGPU exactly when the adapter is hardware', async () => {
  const hardware = await hasHardwareAdapter().catch(() => false);
  const r = sweep('auto');
  assert.is(r.status, 0, r.stderr);
  assert.ok(r.stdout.includes(`8 samples, ${hardware ? 'webgpu' : fallback} backend`), r.stdout);
});

test.run();
