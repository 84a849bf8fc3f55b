// Vision transformer towers as CLIP and ViT checkpoints hold them (open_clip / OpenAI CLIP, Hugging
// Face CLIP and ViT, timm), one builder driven by a naming table (naming/vision_tower_types.ts):
//   patch conv (bias optional) → [N, h·w, D] → prepend the class token → + positions → [LayerNorm pre]
//   → pre-norm blocks (x + out(MHA(qkv(ln_1 x))); x + fc2(act(fc1(ln_2 x)))) → final LayerNorm (on
//   the class token, or on every token) → [projection of the class token] → [classifier on it].
// open_clip 2.0.2 runs its blocks sequence-first (LND); ctlkit's hooks are batch-first [N, T, D].
// Hooks are the checkpoint's module paths. Unknown tensors are an error, as load_state_dict(strict).
import type { Backend, DeviceTensor } from '../backends/backend.js';
import { quoteName, showValue } from '../util/escape.js';
import { positiveInteger, type ConfigKey } from './config_values.js';
import type { Model, ModelConfig, ParamLookup, Stage } from './family.js';
import { convParams, layerNormParams, linearParams, type ParamTable } from './params.js';
import { chain, makeStage, optionalParam, residualPair, type Step } from './stage.js';
import { fill, indicesOf, requireContiguous } from './naming/template.js';
import { TORCH_PARAMS } from './naming/types.js';
import type { VisionActivation, VisionTowerNaming } from './naming/vision_tower_types.js';
import { HEAD_HOOK, headOrigin } from './zero_shot_head.js';

const weightOf = (m: string): string => fill(TORCH_PARAMS.weight, { m });
const biasOf = (m: string): string => fill(TORCH_PARAMS.bias, { m });

function activation(be: Backend, act: VisionActivation): (v: DeviceTensor) => Promise<DeviceTensor> {
  if (act === 'quick_gelu') return (v) => be.quickGelu(v);
  return (v) => be.gelu(v, act === 'gelu' ? 'erf' : 'tanh');
}

/** The number of elements of `name`, which must be `dim` laid out as `[dim]` or `[1, 1, dim]`. */
function tokenShape(t: ParamTable, name: string, dim: number): void {
  const shape = t.tensors.get(name)?.shape;
  if (!shape) throw t.error(`missing tensor '${name}' (class token) for a ${t.family} model`);
  const ok = (shape.length === 1 && shape[0] === dim) || (shape.length === 3 && shape[0] === 1 && shape[1] === 1 && shape[2] === dim);
  if (!ok) throw t.error(`${name} has shape [${shape.join(', ')}], expected [${dim}] or [1, 1, ${dim}] (class token, width from the patch conv)`);
}

interface PackedQkv {
  w: DeviceTensor;
  b: DeviceTensor | null;
  /** true when w and b were formed here (release them after use) */
  owned: boolean;
}

/** Packed q|k|v of block `i`: its parameter names, and the [3D, D] weight and [3D] bias on a backend. */
function qkvOf(t: ParamTable, n: VisionTowerNaming, i: number, dim: number): { params: string[]; packed: (be: Backend, p: ParamLookup) => Promise<PackedQkv> } {
  if (n.qkv.kind === 'packed') {
    const w = fill(n.qkv.weight, { i });
    const b = fill(n.qkv.bias, { i });
    t.exact(w, [3 * dim, dim], `packed q|k|v projection weight [3·${dim}, ${dim}]`);
    const bias = t.has(b) ? b : null;
    if (bias) t.exact(bias, [3 * dim], 'packed q|k|v projection bias');
    return { params: bias ? [w, bias] : [w], packed: async (_be, p) => ({ w: p(w), b: bias ? p(bias) : null, owned: false }) };
  }
  const mods = [n.qkv.q, n.qkv.k, n.qkv.v].map((m) => fill(m, { i }));
  const infos = mods.map((m) => linearParams(t, m, dim, `(hidden size ${dim})`, 'outIn'));
  infos.forEach((info, j) => t.expect(weightOf(mods[j]), info.outFeatures, dim, 'output features', `(hidden size ${dim})`));
  const withBias = infos.filter((x) => x.bias !== null).length;
  if (withBias !== 0 && withBias !== 3) throw t.error(`${mods.map(biasOf).join(', ')}: either all three q/k/v biases or none`);
  // [W_q; W_k; W_v] row-major is the three flat weights one after another: concatLast of [1, n] views
  const stack = async (be: Backend, p: ParamLookup, names: string[], shape: number[]): Promise<DeviceTensor> => {
    const flat = names.map((name) => { const x = p(name); return be.reshape(x, [1, x.shape.reduce((a, c) => a * c, 1)]); });
    return be.reshape(await be.concatLast(flat), shape);
  };
  return {
    params: infos.flatMap((x) => x.params),
    packed: async (be, p) => {
      const w = await stack(be, p, infos.map((x) => x.weight), [3 * dim, dim]);
      if (withBias === 0) return { w, b: null, owned: true };
      try {
        return { w, b: await stack(be, p, infos.map((x) => x.bias!), [3 * dim]), owned: true };
      } catch (e) {
        be.release(w);
        throw e;
      }
    },
  };
}

const HIDDEN_ACT: Record<string, NonNullable<ModelConfig['hiddenAct']>> = {
  quick_gelu: 'quick_gelu', gelu: 'gelu', gelu_new: 'gelu_tanh', gelu_pytorch_tanh: 'gelu_tanh',
};
const DIM_KEYS = ['hidden_size', 'num_hidden_layers', 'intermediate_size', 'patch_size', 'image_size', 'projection_dim'] as const;

/** config.json keys of the vision towers (CLIP, HF ViT, timm): the MLP activation (HF `hidden_act`)
 *  and the dims a config states (HF names), checked against the tensors. A CLIPModel config's
 *  `vision_config` is read in their place (models/config.ts). */
export const VISION_CONFIG: readonly ConfigKey[] = [
  {
    field: 'hiddenAct', aliases: ['hidden_act'],
    parse: (file, key, v) => {
      const act = typeof v === 'string' ? HIDDEN_ACT[v] : undefined;
      if (!act) throw new Error(`${file}: unsupported ${quoteName(key)} ${showValue(v)} (expected one of ${Object.keys(HIDDEN_ACT).join(', ')})`);
      return act;
    },
  },
  ...DIM_KEYS.map((k): ConfigKey => ({ field: 'dims', sub: k, aliases: [k], parse: positiveInteger })),
];

export function buildVisionTower(t: ParamTable, config: Partial<ModelConfig>, n: VisionTowerNaming): Model {
  for (const name of n.unsupported) {
    if (t.has(name)) throw t.error(`${name} is present: this ${n.convention} variant is not supported`);
  }
  const used = new Set<string>();
  const use = (names: readonly string[]): string[] => (names.forEach((x) => used.add(x)), [...names]);
  const dims = config.dims ?? {};
  const checkDim = (key: keyof NonNullable<ModelConfig['dims']>, got: number, from: string): void => {
    const want = dims[key];
    if (want !== undefined && want !== got) throw t.error(`config.json "${key}" = ${want} contradicts ${from}: the tensors say ${got}`);
  };

  // ---- patch embedding, class token, positions ----
  const convW = weightOf(n.patchConv);
  const [dim, inChannels, patch, patchW] = t.shape(convW, 4, 'patch embedding conv weight');
  t.expect(convW, patchW, patch, 'kernel width', '(square patches: the kernel height)');
  checkDim('hidden_size', dim, `${convW} (dim 0)`);
  checkDim('patch_size', patch, `${convW} (kernel)`);
  const conv = convParams(t, n.patchConv, inChannels, 'from the input');
  const headDim = n.defaults.headDim;
  const heads = config.numHeads ?? (headDim !== null && dim % headDim === 0 ? dim / headDim : undefined);
  if (heads === undefined) {
    throw t.error(`a ${n.convention} needs its number of attention heads (hidden size ${dim}): set "num_heads" (or "num_attention_heads") in config.json or pass --config`);
  }
  if (!Number.isInteger(heads) || heads < 1 || dim % heads !== 0) throw t.error(`num_heads ${heads} does not divide the hidden size ${dim} (${convW})`);
  tokenShape(t, n.classToken, dim);
  const posShape = t.tensors.get(n.posEmbedding)?.shape;
  if (!posShape) throw t.error(`missing tensor '${n.posEmbedding}' (position embedding) for a ${t.family} model`);
  const tokens = posShape.length === 3 ? posShape[1] : posShape[0];
  t.exact(n.posEmbedding, posShape.length === 3 ? [1, tokens, dim] : [tokens, dim], `position embedding [${posShape.length === 3 ? '1, ' : ''}1 + patches, ${dim}]`);
  const side = Math.round(Math.sqrt(tokens - 1));
  if (tokens < 2 || side * side !== tokens - 1) throw t.error(`${n.posEmbedding} has ${tokens} tokens: expected 1 + a square number of patches`);
  const imageSize = side * patch;
  checkDim('image_size', imageSize, `${n.posEmbedding} (${side}×${side} patches of ${patch})`);
  const eps = config.layerNormEps ?? n.defaults.eps;
  const act = config.hiddenAct ?? n.defaults.activation;
  const convOptions = { stride: [patch, patch] as [number, number], padding: [0, 0] as [number, number], dilation: [1, 1] as [number, number], groups: 1 };
  const stages: Stage[] = [
    makeStage(n.patchConv, true, use(conv.params), (be, x, p) => be.conv2d(x, p(conv.weight), optionalParam(p, conv.bias), convOptions), { linearInParams: true }),
  ];
  const embedSteps = (be: Backend, p: ParamLookup): Step[] => [
    // [N, D, h, w] → [N, D, h·w] → [N, h·w, D] → class token first → + positions
    { view: (v) => be.reshape(v, [v.shape[0], dim, side * side]) },
    (v) => be.transpose12(v),
    (v) => be.prependToken(v, be.reshape(p(n.classToken), [dim])),
    (v) => be.add(v, be.reshape(p(n.posEmbedding), [tokens, dim])),
  ];
  const embedParams = use([n.classToken, n.posEmbedding]);
  const lnPre = n.lnPre !== null && t.has(weightOf(n.lnPre)) ? layerNormParams(t, n.lnPre, dim, `(hidden size ${dim})`) : null;
  if (n.embed.hook || lnPre === null) {
    stages.push(makeStage(n.embed.name, n.embed.hook, embedParams, (be, x, p) => chain(be, x, embedSteps(be, p))));
    if (lnPre) stages.push(makeStage(n.lnPre!, true, use(lnPre.params), (be, x, p) => be.layerNorm(x, p(lnPre.weight), p(lnPre.bias), eps)));
  } else {
    // open_clip: the class token and positions are added inline, ln_pre is the first module after them
    stages.push(makeStage(n.lnPre!, true, [...embedParams, ...use(lnPre.params)], (be, x, p) =>
      chain(be, x, [...embedSteps(be, p), (v) => be.layerNorm(v, p(lnPre.weight), p(lnPre.bias), eps)])));
  }

  // ---- blocks ----
  const layerIds = indicesOf(weightOf(n.ln1), t.tensors.keys());
  requireContiguous(layerIds, 0, `${t.source}: blocks '${n.layer}'`);
  if (layerIds.length === 0) throw t.error(`missing tensor '${weightOf(fill(n.ln1, { i: 0 }))}' (first block)`);
  checkDim('num_hidden_layers', layerIds.length, `the blocks ${fill(n.layer, { i: 0 })}..${layerIds.length - 1}`);
  let prev = stages[stages.length - 1].name;
  for (const i of layerIds) {
    const ln1 = layerNormParams(t, fill(n.ln1, { i }), dim, `from ${prev}'s output (hidden size ${dim})`);
    const qkv = qkvOf(t, n, i, dim);
    const out = linearParams(t, fill(n.attnOut, { i }), dim, `from the attention output (hidden size ${dim})`, 'outIn');
    t.expect(weightOf(fill(n.attnOut, { i })), out.outFeatures, dim, 'output features', '(hidden size, residual add)');
    const ln2 = layerNormParams(t, fill(n.ln2, { i }), dim, `(hidden size ${dim})`);
    const mlpIn = linearParams(t, fill(n.mlpIn, { i }), dim, `(hidden size ${dim})`, 'outIn');
    checkDim('intermediate_size', mlpIn.outFeatures, `${weightOf(fill(n.mlpIn, { i }))} (dim 0)`);
    const mlpOut = linearParams(t, fill(n.mlpOut, { i }), mlpIn.outFeatures, `from ${fill(n.mlpIn, { i })}'s output`, 'outIn');
    t.expect(weightOf(fill(n.mlpOut, { i })), mlpOut.outFeatures, dim, 'output features', '(hidden size, residual add)');
    const params = use([...ln1.params, ...qkv.params, ...out.params, ...ln2.params, ...mlpIn.params, ...mlpOut.params]);
    const layer = fill(n.layer, { i });
    stages.push(
      makeStage(layer, true, params, async (be, x, p) => {
        const { w, b, owned } = await qkv.packed(be, p);
        try {
          return await residualPair(
            be,
            x,
            [
              (v) => be.layerNorm(v, p(ln1.weight), p(ln1.bias), eps),
              (v) => be.linear(v, w, b, 'outIn'),
              (v) => be.attention(v, heads, false),
              (v) => be.linear(v, p.weight(out.weight), optionalParam(p, out.bias), 'outIn'),
            ],
            [
              (v) => be.layerNorm(v, p(ln2.weight), p(ln2.bias), eps),
              (v) => be.linear(v, p.weight(mlpIn.weight), optionalParam(p, mlpIn.bias), 'outIn'),
              activation(be, act),
              (v) => be.linear(v, p.weight(mlpOut.weight), optionalParam(p, mlpOut.bias), 'outIn'),
            ],
          );
        } finally {
          if (owned) {
            be.release(w);
            if (b) be.release(b);
          }
        }
      }),
    );
    prev = layer;
  }

  // ---- final norm, projection, classifier ----
  const ln = layerNormParams(t, n.finalLn.module, dim, `(hidden size ${dim})`);
  const onClass = n.finalLn.on === 'classToken';
  stages.push(
    makeStage(n.finalLn.module, true, use(ln.params), (be, x, p) =>
      onClass
        ? chain(be, x, [(v) => be.selectToken(v, 0), (v) => be.layerNorm(v, p(ln.weight), p(ln.bias), eps)])
        : be.layerNorm(x, p(ln.weight), p(ln.bias), eps),
    ),
  );
  const pooled = (be: Backend): Step[] => (onClass ? [] : [(v) => be.selectToken(v, 0)]);
  let features = dim;
  if (n.proj?.kind === 'matrix') {
    const [, e] = t.shape(n.proj.tensor, 2, 'output projection [width, embed]');
    t.exact(n.proj.tensor, [dim, e], `output projection [${dim}, embed] (width from ${convW})`);
    checkDim('projection_dim', e, `${n.proj.tensor} (dim 1)`);
    const proj = n.proj.tensor;
    // encode_image = ln_post(x[:, 0]) @ proj
    stages.push(makeStage(n.proj.hook, true, use([proj]), (be, x, p) => be.matmul(x, p(proj), false)));
    features = e;
  } else if (n.proj?.kind === 'linear' && t.has(weightOf(n.proj.module))) {
    const proj = linearParams(t, n.proj.module, dim, `from ${n.finalLn.module} (hidden size ${dim})`, 'outIn');
    checkDim('projection_dim', proj.outFeatures, `${weightOf(n.proj.module)} (dim 0)`);
    stages.push(makeStage(n.proj.hook, true, use(proj.params), (be, x, p) => be.linear(x, p.weight(proj.weight), optionalParam(p, proj.bias), 'outIn')));
    features = proj.outFeatures;
  }
  let classes = features;
  if (n.head !== null && t.has(weightOf(n.head))) {
    const head = linearParams(t, n.head, features, `from the class token of ${stages[stages.length - 1].name} (${features} features)`, 'outIn');
    const steps = (be: Backend, p: ParamLookup): Step[] => [...pooled(be), (v) => be.linear(v, p.weight(head.weight), optionalParam(p, head.bias), 'outIn')];
    stages.push(makeStage(n.head, true, use(head.params), (be, x, p) => chain(be, x, steps(be, p))));
    classes = head.outFeatures;
  }

  // the task_vectors zero-shot head laid over the checkpoint (zero_shot_head.ts): W · x/‖x‖ + b
  const zsWeight = `${HEAD_HOOK}.weight`;
  const zs = t.tensors.get(zsWeight);
  if (zs) {
    const last = stages[stages.length - 1].name;
    if (n.head !== null && t.has(weightOf(n.head))) throw new Error(`${headOrigin(zs)}: a zero-shot head needs a model without a classifier, but ${t.source} has ${weightOf(n.head)}`);
    if (zs.shape[1] !== features) {
      throw new Error(`${headOrigin(zs)}: has shape [${zs.shape.join(', ')}], expected [classes, ${features}]: its input is ${last}'s output (${features} features) of ${t.source}`);
    }
    const zsBias = t.has(`${HEAD_HOOK}.bias`) ? `${HEAD_HOOK}.bias` : null;
    const steps = (be: Backend, p: ParamLookup): Step[] => [
      ...(n.finalLn.on === 'allTokens' && n.proj === null ? pooled(be) : []),
      (v) => be.l2Normalize(v),
      (v) => be.linear(v, p.weight(zsWeight), optionalParam(p, zsBias), 'outIn'),
    ];
    stages.push(makeStage(HEAD_HOOK, true, use(zsBias ? [zsWeight, zsBias] : [zsWeight]), (be, x, p) => chain(be, x, steps(be, p))));
    classes = zs.shape[0];
  }

  // strict, as load_state_dict: every tensor is read by the model or known to the convention
  const known = (name: string): boolean => used.has(name) || n.ignored.some((ig) => (ig.endsWith('.') ? name.startsWith(ig) : name === ig));
  const unknown = [...t.tensors.keys()].filter((name) => !known(name));
  if (unknown.length > 0) {
    throw t.error(
      `unexpected tensor${unknown.length > 1 ? 's' : ''} ${unknown.slice(0, 4).map((u) => `'${u}'`).join(', ')}${unknown.length > 4 ? ` (and ${unknown.length - 4} more)` : ''} ` +
        `for a ${n.convention} model of ${layerIds.length} blocks (every tensor must be read, as PyTorch's load_state_dict(strict=True))`,
    );
  }
  return {
    config: { ...config, architecture: n.architecture, numHeads: heads, layerNormEps: eps, hiddenAct: act },
    stages,
    hooks: stages.filter((s) => s.hook).map((s) => s.name),
    logitsHook: stages[stages.length - 1].name,
    classes,
    ignored: n.ignored,
    input: { kind: 'float', shape: [-1, inChannels, imageSize, imageSize] },
  };
}
