// conv2d cases (NCHW, no bias as in ResNet): the layer shapes of a ResNet-18 with the CIFAR stem
// (3×3/1 stem conv, no max pool, 32×32 inputs), at batch 32 and 64.
import { randn, TOL, type OpCase } from '../test/harness/case_kit.js';
import type { BenchCase, TorchSpec } from './harness.js';

type ConvSpec = Extract<TorchSpec, { kind: 'conv2d' }>;

function conv2d(s: ConvSpec): OpCase {
  const oh = Math.floor((s.h + 2 * s.padding - s.kh) / s.stride) + 1;
  const ow = Math.floor((s.w + 2 * s.padding - s.kw) / s.stride) + 1;
  return {
    op: 'conv2d',
    vars: () => `conv2d(N=${s.n},C=${s.c},H=${s.h},W=${s.w},O=${s.o},k=${s.kh}x${s.kw},s=${s.stride},p=${s.padding},d=1,g=1${s.bias ? '' : ',nobias'})`,
    make: (rng) => {
      const ins = [randn(rng, [s.n, s.c, s.h, s.w]), randn(rng, [s.o, s.c, s.kh, s.kw], 1 / Math.sqrt(s.c * s.kh * s.kw))];
      return s.bias ? [...ins, randn(rng, [s.o])] : ins;
    },
    run: (be, [x, w, b]) => be.conv2d(x, w, b ?? null, {
      stride: [s.stride, s.stride], padding: [s.padding, s.padding], dilation: [1, 1], groups: 1,
    }),
    tol: TOL.reduction,
    flops: 2 * s.n * s.o * oh * ow * s.c * s.kh * s.kw,
  };
}

const conv = (label: string, n: number, c: number, hw: number, o: number, k: number, stride: number, quick: boolean, onReference = false): BenchCase => {
  const spec: ConvSpec = { kind: 'conv2d', n, c, h: hw, w: hw, o, kh: k, kw: k, stride, padding: k === 3 ? 1 : 0, bias: false };
  return { area: 'conv', label, op: conv2d(spec), torch: spec, onReference, quick };
};

export const convCases: readonly BenchCase[] = [
  conv('small', 1, 8, 8, 8, 3, 1, true, true),
  conv('ResNet-18 stem conv1, batch 32', 32, 3, 32, 64, 3, 1, false),
  conv('ResNet-18 layer1 conv, batch 32', 32, 64, 32, 64, 3, 1, true),
  conv('ResNet-18 layer1 conv, batch 64', 64, 64, 32, 64, 3, 1, false),
  conv('ResNet-18 layer2.0.conv1 (stride 2), batch 32', 32, 64, 32, 128, 3, 2, false),
  conv('ResNet-18 layer2.0.downsample 1×1/2, batch 32', 32, 64, 32, 128, 1, 2, false),
  conv('ResNet-18 layer2 conv, batch 32', 32, 128, 16, 128, 3, 1, true),
  conv('ResNet-18 layer3 conv, batch 32', 32, 256, 8, 256, 3, 1, false),
  conv('ResNet-18 layer4 conv, batch 32', 32, 512, 4, 512, 3, 1, true),
];
