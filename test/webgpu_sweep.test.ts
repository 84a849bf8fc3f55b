// A whole sweep on WebGPU (the GPT-2 fixture: embedding, layer norm, causal attention, GELU, GEMM,
// combine, featureStats): a second sweep over other α compiles no new pipeline, and the only full
// tensors read back to the host are the logits the loss/accuracy need; the per-layer metrics come
// back as per-sample scalars from featureStats.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { DeviceTensor } from '../src/backends/backend.js';
import type { WebGPUBackend } from '../src/backends/webgpu/index.js';
import { interpolation } from '../src/sweep/coefficients.js';
import { runSweep } from '../src/sweep/runner.js';
import { openTestBackend } from './harness/backends.js';
import { fixture } from './harness/paths.js';

const gpt2 = (n: string) => fixture('sweeps', 'gpt2', n);
const VOCAB = 50; // transformer.wte.weight [50, 24] in the fixture: logits are [N, T, 50]
const SAMPLES = 8;
const BATCH = 3; // chunks of 3, 3, 2

const t = suite<{ be?: WebGPUBackend }>('webgpu sweep', {});
t.before(async (ctx) => {
  ctx.be = ((await openTestBackend('webgpu', 'webgpu sweep')) as WebGPUBackend | null) ?? undefined;
});
t.after(async (ctx) => {
  await ctx.be?.dispose();
});

t('another α grid compiles no pipeline; only logits are read back', async (ctx) => {
  const be = ctx.be;
  if (!be) return;
  const reads: number[][] = [];
  const read = be.read.bind(be);
  be.read = (x: DeviceTensor) => (reads.push([...x.shape]), read(x));
  const sweep = (alphas: number[]) =>
    runSweep({ matrix: interpolation(gpt2('ft_a.safetensors'), gpt2('ft_b.safetensors'), alphas), inputs: gpt2('inputs.safetensors') }, { backend: be, batch: BATCH });

  const first = await sweep([0.5]);
  const compiled = be.ctx.pipelines.created;
  assert.ok(compiled > 0);
  // per chunk: the logits of K = 1 row and M = 2 basis models, nothing else
  assert.is(reads.length, 3 * Math.ceil(SAMPLES / BATCH));
  for (const shape of reads) assert.ok(shape.length === 3 && shape[2] === VOCAB, `read of a non-logits tensor ${JSON.stringify(shape)}`);

  reads.length = 0;
  const second = await sweep([-0.25, 0.25, 0.75, 1.25]);
  assert.is(be.ctx.pipelines.created, compiled, 'the second α grid compiled new pipelines');
  assert.is(reads.length, 6 * Math.ceil(SAMPLES / BATCH));
  assert.is(second.rows.length, 4);
  const hook = first.layers[0];
  assert.not.equal(second.rows[0].layers[hook], first.rows[0].layers[hook], 'different α, different metrics');
});

t.run();
