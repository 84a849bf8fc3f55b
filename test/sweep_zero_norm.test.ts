// The zero-norm rules (README, "Metrics") end to end through runSweep: a basis model whose first
// layer outputs exactly zero for every sample, against one whose first layer outputs ones.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createBackend } from '../src/backends/index.js';
import { interpolation } from '../src/sweep/coefficients.js';
import { runSweep } from '../src/sweep/runner.js';
import type { Tensor } from '../src/tensor.js';
import { writeInputs, writeMlp } from './harness/synthetic.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ctl-zero-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const widths = [4, 5, 3];
const filled = (shape: number[], v: number): Tensor => ({ dtype: 'float32', shape, data: new Float32Array(shape.reduce((a, b) => a * b)).fill(v) });

test('zero features: dist 0 / cos 1 / coef 1 when both are zero; dist 1 / coef 0 when one is', async () => {
  // first layer: zero weights; bias 1 (ones after the ReLU) in `ones`, bias 0 (zeros) in `zeros`
  const files: string[] = [];
  for (const [name, bias] of [['ones', 1], ['zeros', 0]] as const) {
    files.push(path.join(dir, `${name}.safetensors`));
    await writeMlp(files[files.length - 1], widths, 3, { extra: { '0.weight': filled([5, 4], 0), '0.bias': filled([5], bias) } });
  }
  const inputs = path.join(dir, 'inputs.safetensors');
  await writeInputs(inputs, 4, widths[0], widths[2], 1);
  const be = await createBackend('reference');
  // A = ones, B = zeros; row α = 0 is the zero model, row α = 1 the ones model
  const res = await runSweep({ matrix: interpolation(files[0], files[1], [0, 1]), inputs, layers: ['1'], config: { architecture: 'mlp' } }, { backend: be });
  await be.dispose();
  const [zero, ones] = res.rows.map((r) => r.layers['1']);
  // F = 0, G = 0
  assert.is(zero.dist_alpha_int, 0);
  assert.is(zero.coef_alpha_int, 1);
  assert.is(zero.cos_alpha_int_over_samples_mean, 1);
  assert.is(zero.dist_alpha_int_over_samples_mean, 0);
  assert.is(zero.dist_alpha_int_over_samples_std, 0);
  assert.is(zero.coef_alpha_int_over_samples_mean, 1);
  assert.is(zero.dist_alpha_B, 0);
  // F = 0 against f(θ_A) = ones: one side zero
  assert.is(zero.dist_alpha_A, 1);
  assert.is(ones.dist_alpha_B, 1);
  assert.ok(Math.abs(ones.dist_alpha_int) < 1e-12, 'nonzero F = G');
  // A vs B: F = ones, G = zeros (gg = 0, ff > 0): dist 1, coef 0
  const base = res.baseline!['1'];
  assert.is(base.dist_A_B, 1);
  assert.is(base.coef_A_B, 0);
  assert.is(base.dist_A_B_over_samples_mean, 1);
  assert.is(base.coef_A_B_over_samples_mean, 0);
  assert.is(base.coef_A_B_over_samples_std, 0);
});

test.run();
