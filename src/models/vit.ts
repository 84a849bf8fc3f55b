// Vision Transformer (torchvision VisionTransformer semantics): patch conv → flatten to tokens →
// prepend the class token → add position embeddings (dropout: identity in eval) → pre-norm encoder
// layers (x + MHA(ln_1 x); x + MLP(ln_2 x), exact GELU) → final LayerNorm → head on the class token.
// Hooks: conv_proj [N, D, h, w], each encoder layer [N, T, D], encoder.ln [N, T, D], heads.head [N, classes].
import { positiveInteger, positiveNumber, type ConfigKey } from './config_values.js';
import type { Model, ModelConfig, Stage } from './family.js';
import { convParams, layerNormParams, linearParams, type ParamTable } from './params.js';
import { chain, makeStage, optionalParam, residualPair } from './stage.js';
import { fill, indicesOf, requireContiguous } from './naming/template.js';
import { TORCH_PARAMS, type VitNaming } from './naming/types.js';

/** config.json keys: heads and LayerNorm eps (HF aliases). */
export const VIT_CONFIG: readonly ConfigKey[] = [
  { field: 'numHeads', aliases: ['num_heads', 'n_head', 'num_attention_heads'], parse: positiveInteger },
  { field: 'layerNormEps', aliases: ['layer_norm_eps', 'layer_norm_epsilon'], parse: positiveNumber },
];

export function buildVit(t: ParamTable, config: Partial<ModelConfig>, n: VitNaming): Model {
  const eps = config.layerNormEps ?? 1e-6;
  const weightOf = (m: string): string => fill(TORCH_PARAMS.weight, { m });
  for (const name of n.unsupported) {
    if (t.has(name)) throw t.error(`${name} is present: this ${n.convention} variant is not supported`);
  }

  // ---- patch embedding, class token, position embedding ----
  const [dim, inChannels, patch, patchW] = t.shape(weightOf(n.patchConv), 4, 'patch embedding conv weight');
  t.expect(weightOf(n.patchConv), patchW, patch, 'kernel width', '(square patches: the kernel height)');
  const conv = convParams(t, n.patchConv, inChannels, 'from the input');
  const heads = config.numHeads;
  if (heads === undefined) {
    throw t.error(`a ViT needs its number of attention heads (hidden size ${dim}): set "num_heads" in config.json or pass --config`);
  }
  if (!Number.isInteger(heads) || heads < 1 || dim % heads !== 0) {
    throw t.error(`num_heads ${heads} does not divide the hidden size ${dim} (${weightOf(n.patchConv)})`);
  }
  t.exact(n.classToken, [1, 1, dim], 'class token');
  const [, tokens] = t.shape(n.posEmbedding, 3, 'position embedding');
  t.exact(n.posEmbedding, [1, tokens, dim], 'position embedding [1, 1 + patches, hidden]');
  const side = Math.round(Math.sqrt(tokens - 1));
  if (tokens < 2 || side * side !== tokens - 1) {
    throw t.error(`${n.posEmbedding} has ${tokens} tokens: expected 1 + a square number of patches`);
  }
  const imageSize = side * patch;
  const convOptions = { stride: [patch, patch] as [number, number], padding: [0, 0] as [number, number], dilation: [1, 1] as [number, number], groups: 1 };
  const stages: Stage[] = [
    makeStage(n.patchConv, true, conv.params, (be, x, p) => be.conv2d(x, p.weight(conv.weight), optionalParam(p, conv.bias), convOptions),
      { linearInParams: true }),
    makeStage(n.embedOut, false, [n.classToken, n.posEmbedding], (be, x, p) =>
      chain(be, x, [
        // [N, D, h, w] → [N, D, h·w] → [N, h·w, D] → class token first → + pos_embedding[0]
        { view: (v) => be.reshape(v, [v.shape[0], dim, side * side]) },
        (v) => be.transpose12(v),
        (v) => be.prependToken(v, be.reshape(p(n.classToken), [dim])),
        (v) => be.add(v, be.reshape(p(n.posEmbedding), [tokens, dim])),
      ]),
    ),
  ];

  // ---- encoder layers ----
  const layerIds = indicesOf(weightOf(n.ln1), t.tensors.keys());
  requireContiguous(layerIds, 0, `${t.source}: encoder layers '${n.layer}'`);
  if (layerIds.length === 0) throw t.error(`missing tensor '${weightOf(fill(n.ln1, { i: 0 }))}' (first encoder layer)`);
  let prev = n.embedOut;
  for (const i of layerIds) {
    const layer = fill(n.layer, { i });
    const why = `from ${prev}'s output (hidden size ${dim})`;
    const ln1 = layerNormParams(t, fill(n.ln1, { i }), dim, why);
    const qkvW = fill(n.qkvWeight, { i });
    const qkvB = fill(n.qkvBias, { i });
    t.exact(qkvW, [3 * dim, dim], 'packed q|k|v projection weight');
    t.exact(qkvB, [3 * dim], 'packed q|k|v projection bias');
    const out = linearParams(t, fill(n.attnOut, { i }), dim, `from the attention output (hidden size ${dim})`, 'outIn');
    t.expect(weightOf(fill(n.attnOut, { i })), out.outFeatures, dim, 'output features', `(hidden size, residual add)`);
    const ln2 = layerNormParams(t, fill(n.ln2, { i }), dim, `(hidden size ${dim})`);
    const mlpIn = linearParams(t, fill(n.mlpIn, { i }), dim, `(hidden size ${dim})`, 'outIn');
    const mlpOut = linearParams(t, fill(n.mlpOut, { i }), mlpIn.outFeatures, `from ${fill(n.mlpIn, { i })}'s output`, 'outIn');
    t.expect(weightOf(fill(n.mlpOut, { i })), mlpOut.outFeatures, dim, 'output features', `(hidden size, residual add)`);
    const params = [...ln1.params, qkvW, qkvB, ...out.params, ...ln2.params, ...mlpIn.params, ...mlpOut.params];
    stages.push(
      makeStage(layer, true, params, (be, x, p) =>
        residualPair(
          be,
          x,
          [
            (v) => be.layerNorm(v, p(ln1.weight), p(ln1.bias), eps),
            (v) => be.linear(v, p.weight(qkvW), p(qkvB), 'outIn'),
            (v) => be.attention(v, heads, false),
            (v) => be.linear(v, p.weight(out.weight), optionalParam(p, out.bias), 'outIn'),
          ],
          [
            (v) => be.layerNorm(v, p(ln2.weight), p(ln2.bias), eps),
            (v) => be.linear(v, p.weight(mlpIn.weight), optionalParam(p, mlpIn.bias), 'outIn'),
            (v) => be.gelu(v, 'erf'),
            (v) => be.linear(v, p.weight(mlpOut.weight), optionalParam(p, mlpOut.bias), 'outIn'),
          ],
        ),
      ),
    );
    prev = layer;
  }

  // ---- final norm and head ----
  const ln = layerNormParams(t, n.finalLn, dim, `(hidden size ${dim})`);
  const head = linearParams(t, n.head, dim, `from the class token of ${n.finalLn} (hidden size ${dim})`, 'outIn');
  stages.push(
    makeStage(n.finalLn, true, ln.params, (be, x, p) => be.layerNorm(x, p(ln.weight), p(ln.bias), eps)),
    makeStage(n.head, true, head.params, (be, x, p) =>
      chain(be, x, [(v) => be.selectToken(v, 0), (v) => be.linear(v, p.weight(head.weight), optionalParam(p, head.bias), 'outIn')]),
    ),
  );
  return {
    config: { ...config, architecture: 'vit', numHeads: heads, layerNormEps: eps },
    stages,
    hooks: stages.filter((s) => s.hook).map((s) => s.name),
    logitsHook: n.head,
    classes: head.outFeatures,
    input: { kind: 'float', shape: [-1, inChannels, imageSize, imageSize] },
  };
}
