// ResNet (torchvision semantics): stem conv → BatchNorm → ReLU (→ max pool 3/2/1 for the ImageNet
// stem), stages of BasicBlocks or Bottlenecks (chosen by the presence of conv3), global average pool,
// fc. Stage/block counts and widths come from the tensor shapes; BatchNorm runs in eval mode.
// Hooks: the raw stem conv, every block after its residual add and ReLU, and fc.
import type { Backend, Conv2dOptions, DeviceTensor } from '../backends/backend.js';
import { oneOf, positiveNumber, type ConfigKey } from './config_values.js';
import type { Model, ModelConfig, ParamLookup, Stage } from './family.js';
import { batchNormParams, convParams, linearParams, type ConvInfo, type NormInfo, type ParamTable } from './params.js';
import { chain, makeStage, optionalParam } from './stage.js';
import { fill, indicesOf, requireContiguous } from './naming/template.js';
import { TORCH_PARAMS, type ResNetNaming } from './naming/types.js';

interface ConvBn {
  conv: ConvInfo;
  bn: NormInfo;
  options: Conv2dOptions;
}

const convOptions = (conv: ConvInfo, stride: number): Conv2dOptions => ({
  stride: [stride, stride],
  padding: [Math.floor(conv.kernel[0] / 2), Math.floor(conv.kernel[1] / 2)],
  dilation: [1, 1],
  groups: 1,
});

/** conv → BatchNorm(eps) [→ + residual] [→ ReLU] as one conv2d with an epilogue (fused by backends that can). */
function convBn(be: Backend, p: ParamLookup, cb: ConvBn, eps: number, x: DeviceTensor, after: { residual?: DeviceTensor; relu?: boolean } = {}): Promise<DeviceTensor> {
  const batchNorm = { mean: p(cb.bn.mean), variance: p(cb.bn.variance), weight: p(cb.bn.weight), bias: p(cb.bn.bias), eps };
  return be.conv2d(x, p.weight(cb.conv.weight), optionalParam(p, cb.conv.bias), cb.options, { batchNorm, ...after });
}

/** config.json keys: BatchNorm eps, and the stem when the kernel cannot tell it. */
export const RESNET_CONFIG: readonly ConfigKey[] = [
  { field: 'batchNormEps', aliases: ['batch_norm_eps'], parse: positiveNumber },
  { field: 'stem', aliases: ['stem'], parse: oneOf('stem', ['imagenet', 'cifar'] as const) },
];

export function buildResNet(t: ParamTable, config: Partial<ModelConfig>, n: ResNetNaming): Model {
  const eps = config.batchNormEps ?? 1e-5;
  const weightOf = (m: string): string => fill(TORCH_PARAMS.weight, { m });

  // ---- stem ----
  const [, inChannels, kh] = t.shape(weightOf(n.stemConv), 4, 'stem conv weight');
  const stem = config.stem ?? (kh === 7 ? 'imagenet' : kh === 3 ? 'cifar' : null);
  if (stem === null) {
    throw t.error(`${weightOf(n.stemConv)} has a ${kh}×${kh} kernel: cannot tell the stem (7 → imagenet, 3 → cifar); set "stem" in config.json`);
  }
  const stemConv = convParams(t, n.stemConv, inChannels, 'from the input');
  const stemOptions = convOptions(stemConv, stem === 'imagenet' ? 2 : 1);
  const stemBn = batchNormParams(t, n.stemBn, stemConv.outChannels, `from ${n.stemConv}'s output channels`);
  const stages: Stage[] = [
    makeStage(n.stemConv, true, stemConv.params, (be, x, p) => be.conv2d(x, p.weight(stemConv.weight), optionalParam(p, stemConv.bias), stemOptions),
      { linearInParams: true }),
    makeStage(stem === 'imagenet' ? n.stemPool : n.stemAct, false, stemBn.params, (be, x, p) =>
      chain(be, x, [
        (v) => be.batchNorm(v, p(stemBn.mean), p(stemBn.variance), p(stemBn.weight), p(stemBn.bias), eps),
        (v) => be.relu(v),
        ...(stem === 'imagenet' ? [(v: DeviceTensor) => be.maxPool2d(v, { kernel: [3, 3], stride: [2, 2], padding: [1, 1] })] : []),
      ]),
    ),
  ];

  // ---- residual stages ----
  const names = [...t.tensors.keys()];
  const convTpl = weightOf(n.blockConv);
  const stageIds = indicesOf(convTpl, names, { b: 0, k: 1 });
  if (stageIds.length === 0) throw t.error(`missing tensor '${fill(convTpl, { s: n.firstStage, b: 0, k: 1 })}' (first residual block)`);
  requireContiguous(stageIds, n.firstStage, `${t.source}: residual stages '${fill(n.block, { s: '{s}', b: 0 })}'`);
  const bottleneck = t.has(fill(convTpl, { s: stageIds[0], b: 0, k: 3 }));
  const convCount = bottleneck ? 3 : 2;
  let channels = stemConv.outChannels;
  let prev = stem === 'imagenet' ? n.stemPool : n.stemAct;
  for (const s of stageIds) {
    const blockIds = indicesOf(convTpl, names, { s, k: 1 });
    requireContiguous(blockIds, 0, `${t.source}: blocks of stage ${s}`);
    for (const b of blockIds) {
      const block = fill(n.block, { s, b });
      const hasDownsample = t.has(weightOf(fill(n.downsampleConv, { s, b })));
      const stride = hasDownsample && s > n.firstStage ? 2 : 1;
      // torchvision puts the stride on conv1 of a BasicBlock and conv2 of a Bottleneck.
      const strideAt = bottleneck ? 2 : 1;
      const path: ConvBn[] = [];
      let c = channels;
      let from = `from ${prev}'s output`;
      for (let k = 1; k <= convCount; k++) {
        const conv = convParams(t, fill(n.blockConv, { s, b, k }), c, from);
        const bn = batchNormParams(t, fill(n.blockBn, { s, b, k }), conv.outChannels, `from ${fill(n.blockConv, { s, b, k })}'s output channels`);
        path.push({ conv, bn, options: convOptions(conv, k === strideAt ? stride : 1) });
        c = conv.outChannels;
        from = `from ${fill(n.blockConv, { s, b, k })}'s output`;
      }
      let shortcut: ConvBn | null = null;
      if (hasDownsample) {
        const dsName = fill(n.downsampleConv, { s, b });
        const conv = convParams(t, dsName, channels, `from ${prev}'s output`);
        t.expect(weightOf(dsName), conv.outChannels, c, 'output channels', `to match ${block}'s residual path`);
        t.expect(weightOf(dsName), conv.kernel[0] * conv.kernel[1], 1, 'kernel elements', '(a 1×1 downsample conv)');
        const bn = batchNormParams(t, fill(n.downsampleBn, { s, b }), c, `from ${dsName}'s output channels`);
        shortcut = { conv, bn, options: convOptions(conv, stride) };
      } else if (c !== channels) {
        throw t.error(
          `${block} outputs ${c} channels but its input has ${channels} (from ${prev}) and it has no downsample ` +
            `('${weightOf(fill(n.downsampleConv, { s, b }))}' is missing)`,
        );
      }
      const convs = shortcut ? [...path, shortcut] : path;
      const params = convs.flatMap((cb) => [...cb.conv.params, ...cb.bn.params]);
      stages.push(
        makeStage(block, true, params, async (be, x, p) => {
          // the shortcut first, so the path's last conv adds it and applies the block's ReLU in its epilogue
          const identity = shortcut ? await convBn(be, p, shortcut, eps, x) : x;
          try {
            return await chain(be, x, path.map((cb, i) => (v: DeviceTensor) =>
              convBn(be, p, cb, eps, v, i < path.length - 1 ? { relu: true } : { residual: identity, relu: true })));
          } finally {
            if (identity !== x) be.release(identity);
          }
        }, { weights: convs.map((cb) => cb.conv.weight) }),
      );
      channels = c;
      prev = block;
    }
  }

  // ---- classifier ----
  const fc = linearParams(t, n.fc, channels, `from ${prev}'s output channels (after global average pooling)`, 'outIn');
  stages.push(
    makeStage(n.fc, true, fc.params, (be, x, p) =>
      chain(be, x, [
        (v) => be.adaptiveAvgPool2d(v, 1, 1),
        { view: (v) => be.reshape(v, [v.shape[0], v.shape[1]]) },
        (v) => be.linear(v, p.weight(fc.weight), optionalParam(p, fc.bias), 'outIn'),
      ]),
    ),
  );
  const hooks = stages.filter((s) => s.hook).map((s) => s.name);
  return {
    config: { ...config, architecture: 'resnet', stem, batchNormEps: eps },
    stages,
    hooks,
    logitsHook: n.fc,
    classes: fc.outFeatures,
    input: { kind: 'float', shape: [-1, inChannels, -1, -1] },
  };
}
