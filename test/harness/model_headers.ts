// Small, complete checkpoint headers (names → shapes) for each model family, for tests that build
// models (or craft broken checkpoints) without PyTorch fixtures.
import type { TensorInfo } from '../../src/io/types.js';
import { floatTensor, numel, type Tensor } from '../../src/tensor.js';

export type HeaderSpec = Record<string, number[]>;

export function toHeader(spec: HeaderSpec, intNames: readonly string[] = []): Map<string, TensorInfo> {
  return new Map(Object.entries(spec).map(([name, shape]) => [name, { name, dtype: intNames.includes(name) ? 'I64' : 'F32', shape }]));
}

const bn = (m: string, c: number): HeaderSpec => ({
  [`${m}.weight`]: [c],
  [`${m}.bias`]: [c],
  [`${m}.running_mean`]: [c],
  [`${m}.running_var`]: [c],
  [`${m}.num_batches_tracked`]: [],
});
const ln = (m: string, d: number): HeaderSpec => ({ [`${m}.weight`]: [d], [`${m}.bias`]: [d] });
const lin = (m: string, out: number, inp: number): HeaderSpec => ({ [`${m}.weight`]: [out, inp], [`${m}.bias`]: [out] });

/** MLP 4 → 8 → 3. */
export const mlpSpec = (): HeaderSpec => ({ ...lin('0', 8, 4), ...lin('2', 3, 8) });

/** BasicBlock ResNet, CIFAR stem: 3 → 8 (layer1.0) → 16 (layer2.0, stride 2, downsample) → fc 10. */
export const resnetSpec = (): HeaderSpec => ({
  'conv1.weight': [8, 3, 3, 3],
  ...bn('bn1', 8),
  'layer1.0.conv1.weight': [8, 8, 3, 3],
  ...bn('layer1.0.bn1', 8),
  'layer1.0.conv2.weight': [8, 8, 3, 3],
  ...bn('layer1.0.bn2', 8),
  'layer2.0.conv1.weight': [16, 8, 3, 3],
  ...bn('layer2.0.bn1', 16),
  'layer2.0.conv2.weight': [16, 16, 3, 3],
  ...bn('layer2.0.bn2', 16),
  'layer2.0.downsample.0.weight': [16, 8, 1, 1],
  ...bn('layer2.0.downsample.1', 16),
  ...lin('fc', 10, 16),
});
export const resnetIntNames = (spec: HeaderSpec): string[] => Object.keys(spec).filter((n) => n.endsWith('num_batches_tracked'));

/** ViT: 8×8 images, patch 4 (4 patches + class token), hidden 8, 2 layers, MLP 16, 5 classes. */
export const vitSpec = (): HeaderSpec => {
  const spec: HeaderSpec = {
    'conv_proj.weight': [8, 3, 4, 4],
    'conv_proj.bias': [8],
    class_token: [1, 1, 8],
    'encoder.pos_embedding': [1, 5, 8],
    ...ln('encoder.ln', 8),
    ...lin('heads.head', 5, 8),
  };
  for (let i = 0; i < 2; i++) {
    const l = `encoder.layers.encoder_layer_${i}`;
    Object.assign(spec, ln(`${l}.ln_1`, 8), ln(`${l}.ln_2`, 8), lin(`${l}.self_attention.out_proj`, 8, 8), lin(`${l}.mlp.0`, 16, 8), lin(`${l}.mlp.3`, 8, 16));
    spec[`${l}.self_attention.in_proj_weight`] = [24, 8];
    spec[`${l}.self_attention.in_proj_bias`] = [24];
  }
  return spec;
};

/** GPT-2: vocab 11, 6 positions, hidden 8, 2 blocks, lm_head tied. Conv1D weights are [in, out]. */
export const gpt2Spec = (): HeaderSpec => {
  const spec: HeaderSpec = { 'transformer.wte.weight': [11, 8], 'transformer.wpe.weight': [6, 8], ...ln('transformer.ln_f', 8) };
  const conv1d = (m: string, inp: number, out: number): HeaderSpec => ({ [`${m}.weight`]: [inp, out], [`${m}.bias`]: [out] });
  for (let i = 0; i < 2; i++) {
    const h = `transformer.h.${i}`;
    Object.assign(spec, ln(`${h}.ln_1`, 8), ln(`${h}.ln_2`, 8), conv1d(`${h}.attn.c_attn`, 8, 24), conv1d(`${h}.attn.c_proj`, 8, 8));
    Object.assign(spec, conv1d(`${h}.mlp.c_fc`, 8, 32), conv1d(`${h}.mlp.c_proj`, 32, 8));
  }
  return spec;
};

/** Zero-filled tensors for `spec` (int64 for `intNames`), ready for the safetensors writer. */
export function zeroTensors(spec: HeaderSpec, intNames: readonly string[] = []): Map<string, Tensor> {
  return new Map(
    Object.entries(spec).map(([name, shape]): [string, Tensor] => [
      name,
      intNames.includes(name) ? { dtype: 'int64', shape, data: new BigInt64Array(numel(shape)) } : floatTensor(shape),
    ]),
  );
}
