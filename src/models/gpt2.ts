// GPT-2 (Hugging Face semantics): token + position embeddings → pre-norm blocks
// (x + c_proj(causal MHA(c_attn(ln_1 x))); x + mlp.c_proj(gelu_tanh(mlp.c_fc(ln_2 x)))), Conv1D
// weights stored [in, out] → ln_f → lm_head (no bias; tied to wte when absent).
// Input int token ids [N, T], T ≤ positions. Hooks: each block [N, T, D], ln_f, lm_head [N, T, V].
import { positiveInteger, positiveNumber, type ConfigKey } from './config_values.js';
import type { Model, ModelConfig, Stage } from './family.js';
import { layerNormParams, linearParams, type ParamTable } from './params.js';
import { addReleasing, chain, makeStage, optionalParam, residualPair } from './stage.js';
import { fill, indicesOf, requireContiguous } from './naming/template.js';
import { TORCH_PARAMS, type Gpt2Naming } from './naming/types.js';

/** config.json keys: heads and LayerNorm eps (HF aliases). */
export const GPT2_CONFIG: readonly ConfigKey[] = [
  { field: 'numHeads', aliases: ['num_heads', 'n_head', 'num_attention_heads'], parse: positiveInteger },
  { field: 'layerNormEps', aliases: ['layer_norm_eps', 'layer_norm_epsilon'], parse: positiveNumber },
];

export function buildGpt2(t: ParamTable, config: Partial<ModelConfig>, n: Gpt2Naming): Model {
  const eps = config.layerNormEps ?? 1e-5;
  const weightOf = (m: string): string => fill(TORCH_PARAMS.weight, { m });
  const wte = weightOf(n.wte);
  const wpe = weightOf(n.wpe);
  const [vocab, dim] = t.shape(wte, 2, 'token embedding [vocab, hidden]');
  const [positions] = t.shape(wpe, 2, 'position embedding [positions, hidden]');
  t.expect(wpe, t.shape(wpe, 2, 'position embedding')[1], dim, 'features (dim 1)', `(hidden size from ${wte})`);
  const heads = config.numHeads;
  if (heads === undefined) {
    throw t.error(`a GPT-2 needs its number of attention heads (hidden size ${dim}): set "n_head" or "num_heads" in config.json or pass --config`);
  }
  if (!Number.isInteger(heads) || heads < 1 || dim % heads !== 0) {
    throw t.error(`num_heads ${heads} does not divide the hidden size ${dim} (${wte})`);
  }
  const stages: Stage[] = [
    makeStage(n.embedOut, false, [wte, wpe], async (be, ids, p) => {
      // h = wte[ids] + wpe[0..T)
      const T = ids.shape[1];
      const pos = be.upload(Int32Array.from({ length: T }, (_, i) => i), [T]);
      try {
        const posEmb = await be.embedding(pos, p(wpe));
        const tokEmb = await be.embedding(ids, p(wte)).catch((e) => {
          be.release(posEmb);
          throw e;
        });
        return await addReleasing(be, tokEmb, posEmb, ids);
      } finally {
        be.release(pos);
      }
    }),
  ];

  const blockIds = indicesOf(weightOf(n.ln1), t.tensors.keys());
  if (blockIds.length === 0) throw t.error(`missing tensor '${weightOf(fill(n.ln1, { i: 0 }))}' (first transformer block)`);
  requireContiguous(blockIds, 0, `${t.source}: transformer blocks '${n.block}'`);
  let prev = n.embedOut;
  for (const i of blockIds) {
    const block = fill(n.block, { i });
    const ln1 = layerNormParams(t, fill(n.ln1, { i }), dim, `from ${prev}'s output (hidden size ${dim})`);
    const qkv = linearParams(t, fill(n.attnQkv, { i }), dim, `(hidden size ${dim})`, 'inOut');
    t.expect(weightOf(fill(n.attnQkv, { i })), qkv.outFeatures, 3 * dim, 'output features (dim 1)', '(packed q|k|v: 3 × hidden size)');
    const out = linearParams(t, fill(n.attnOut, { i }), dim, `from the attention output (hidden size ${dim})`, 'inOut');
    t.expect(weightOf(fill(n.attnOut, { i })), out.outFeatures, dim, 'output features (dim 1)', '(hidden size, residual add)');
    const ln2 = layerNormParams(t, fill(n.ln2, { i }), dim, `(hidden size ${dim})`);
    const fcIn = linearParams(t, fill(n.mlpIn, { i }), dim, `(hidden size ${dim})`, 'inOut');
    const fcOut = linearParams(t, fill(n.mlpOut, { i }), fcIn.outFeatures, `from ${fill(n.mlpIn, { i })}'s output`, 'inOut');
    t.expect(weightOf(fill(n.mlpOut, { i })), fcOut.outFeatures, dim, 'output features (dim 1)', '(hidden size, residual add)');
    const params = [...ln1.params, ...qkv.params, ...out.params, ...ln2.params, ...fcIn.params, ...fcOut.params];
    stages.push(
      makeStage(block, true, params, (be, x, p) =>
        residualPair(
          be,
          x,
          [
            (v) => be.layerNorm(v, p(ln1.weight), p(ln1.bias), eps),
            (v) => be.linear(v, p.weight(qkv.weight), optionalParam(p, qkv.bias), 'inOut'),
            (v) => be.attention(v, heads, true),
            (v) => be.linear(v, p.weight(out.weight), optionalParam(p, out.bias), 'inOut'),
          ],
          [
            (v) => be.layerNorm(v, p(ln2.weight), p(ln2.bias), eps),
            (v) => be.linear(v, p.weight(fcIn.weight), optionalParam(p, fcIn.bias), 'inOut'),
            (v) => be.gelu(v, 'tanh'),
            (v) => be.linear(v, p.weight(fcOut.weight), optionalParam(p, fcOut.bias), 'inOut'),
          ],
        ),
      ),
    );
    prev = block;
  }

  const lnF = layerNormParams(t, n.finalLn, dim, `(hidden size ${dim})`);
  // lm_head: Linear(D, V, bias=False), weight [V, D]; tied to wte when the checkpoint omits it.
  const headWeight = t.has(weightOf(n.lmHead)) ? weightOf(n.lmHead) : wte;
  if (headWeight !== wte) t.exact(headWeight, [vocab, dim], `output projection [vocab, hidden] (vocab from ${wte})`);
  stages.push(
    makeStage(n.finalLn, true, lnF.params, (be, x, p) => be.layerNorm(x, p(lnF.weight), p(lnF.bias), eps)),
    makeStage(n.lmHead, true, [headWeight], (be, x, p) => be.linear(x, p.weight(headWeight), null, 'outIn')),
  );
  return {
    config: { ...config, architecture: 'gpt2', numHeads: heads, layerNormEps: eps },
    stages,
    hooks: stages.filter((s) => s.hook).map((s) => s.name),
    logitsHook: n.lmHead,
    classes: vocab,
    input: { kind: 'tokens', shape: [-1, -1], vocab, maxLength: positions },
  };
}
