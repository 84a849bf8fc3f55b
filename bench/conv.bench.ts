// conv2d cases (NCHW, no bias as in ResNet): the layer shapes of a ResNet-18 with the CIFAR stem
// (3×3/1 stem conv, no max pool, 32×32 inputs), at batch 32 and 64.
import { convOp } from '../test/harness/cases_conv2d.js';
import type { BenchCase, TorchSpec } from './harness.js';

type ConvSpec = Extract<TorchSpec, { kind: 'conv2d' }>;

const conv = (label: string, n: number, c: number, hw: number, o: number, k: number, stride: number, quick: boolean, onReference = false): BenchCase => {
  const p = k === 3 ? 1 : 0;
  const spec: ConvSpec = { kind: 'conv2d', n, c, h: hw, w: hw, o, kh: k, kw: k, stride, padding: p, bias: false };
  return { area: 'conv', label, op: convOp(n, c, hw, hw, o, k, k, [stride, stride], [p, p], [1, 1], 1, { bias: false }), torch: spec, onReference, quick };
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
