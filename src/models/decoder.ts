// Hugging Face decoder LLMs by config.json `model_type`, following transformers'
// models/<family>/modeling_<family>.py (modular_<family>.py where the family has one):
//   llama    LlamaDecoderLayer: x + o(attn(rope(q(n₁x)), rope(k(n₁x)), v(n₁x))); x + down(silu(gate(n₂x)) · up(n₂x))
//   mistral  as llama, attention over a sliding window of `sliding_window` keys
//   qwen2    as llama with q/k/v biases (o_proj none)
//   qwen3    as llama with per-head RMSNorm q_norm / k_norm over head_dim before RoPE; explicit head_dim
//   gemma    RMSNorm · (1 + w), embeddings × √hidden (in the working dtype), tanh-GELU MLP, often MQA
//   gemma2   as gemma, plus post_attention_layernorm on the attention output, pre/post_feedforward_layernorm
//            around the MLP, scale query_pre_attn_scalar^−0.5, attention and final-logit soft-caps,
//            sliding window on even layers (or per layer_types)
//   phi3     packed qkv_proj = [q | k | v] and gate_up_proj = [gate | up] (split after the projection), partial rotary, longrope
// RMSNorm in float32 (LlamaRMSNorm), RoPE rotate_half with HF's tables (rope.ts), grouped-query
// attention with kv head ⌊h / (H / H_kv)⌋ (never repeated), nn.Linear [out, in], lm_head tied to
// embed_tokens when tie_word_embeddings (or absent from the file). rotary_emb.inv_freq buffers are
// not read. Input int token ids [N, T]. Hooks: model.layers.{i} [N, T, D], model.norm, lm_head [N, T, V].
import type { Backend, DeviceTensor } from '../backends/backend.js';
import { shapeStr } from '../tensor.js';
import type { Model, ModelConfig, ParamLookup, Stage } from './family.js';
import { DECODER_TYPES, type DecoderConfig } from './decoder_config.js';
import { linearParams, type LinearInfo, type ParamTable } from './params.js';
import { ropeTables } from './rope.js';
import { makeStage, optionalParam } from './stage.js';
import { fill, indicesOf, requireContiguous } from './naming/template.js';
import type { DecoderNaming } from './naming/hf_decoder.js';

const weightOf = (m: string): string => `${m}.weight`;

/** Tensors a stage owns while it runs; every one not handed out is released on exit. */
class Scope {
  private readonly owned = new Set<DeviceTensor>();
  constructor(private readonly be: Backend) {}
  add<T extends DeviceTensor>(t: T): T {
    this.owned.add(t);
    return t;
  }
  async op(p: Promise<DeviceTensor>): Promise<DeviceTensor> {
    return this.add(await p);
  }
  drop(...ts: DeviceTensor[]): void {
    for (const t of ts) if (this.owned.delete(t)) this.be.release(t);
  }
  view(t: DeviceTensor, shape: readonly number[]): DeviceTensor {
    this.owned.delete(t);
    return this.add(this.be.reshape(t, shape));
  }
  /** Hands `t` out (not released by close). */
  take(t: DeviceTensor): DeviceTensor {
    this.owned.delete(t);
    return t;
  }
  close(): void {
    for (const t of this.owned) this.be.release(t);
    this.owned.clear();
  }
}

async function scoped(be: Backend, fn: (s: Scope) => Promise<DeviceTensor>): Promise<DeviceTensor> {
  const s = new Scope(be);
  try {
    return s.take(await fn(s));
  } finally {
    s.close();
  }
}

interface Norm {
  weight: string;
}
function normParams(t: ParamTable, m: string, dim: number, why: string): Norm {
  const weight = weightOf(m);
  t.expect(weight, t.shape(weight, 1, `RMSNorm ${m}`)[0], dim, 'features', why);
  return { weight };
}

/** A projection that must read `inDim` features and give `outDim` ones. */
function proj(t: ParamTable, m: string, inDim: number, outDim: number, why: string): LinearInfo {
  const l = linearParams(t, m, inDim, `(${why})`, 'outIn');
  t.expect(weightOf(m), l.outFeatures, outDim, 'output features (dim 0)', `(${why})`);
  return l;
}

export function buildDecoder(t: ParamTable, config: Partial<ModelConfig>, n: DecoderNaming): Model {
  const cfg: DecoderConfig | undefined = config.decoder;
  if (!cfg) {
    throw t.error(`a Hugging Face decoder checkpoint needs config.json with "model_type" (one of ${DECODER_TYPES.join(', ')}) beside it, or --config`);
  }
  const family = cfg.modelType;
  const contradicts = (key: string, value: number, tensor: string, shape: readonly number[]): Error =>
    new Error(`${cfg.file}: "${key}" = ${value} contradicts ${tensor} ${shapeStr(shape)} in ${t.source}`);
  const emb = weightOf(n.embed);
  const [vocab, dim] = t.shape(emb, 2, 'token embedding [vocab, hidden]');
  if (cfg.hiddenSize !== undefined && cfg.hiddenSize !== dim) throw contradicts('hidden_size', cfg.hiddenSize, emb, [vocab, dim]);
  if (cfg.vocabSize !== undefined && cfg.vocabSize !== vocab) throw contradicts('vocab_size', cfg.vocabSize, emb, [vocab, dim]);
  const heads = cfg.numHeads ?? config.numHeads;
  if (heads === undefined) throw new Error(`${cfg.file}: missing "num_attention_heads"`);
  const kvHeads = cfg.numKvHeads ?? heads;
  if (heads % kvHeads !== 0) throw new Error(`${cfg.file}: "num_key_value_heads" = ${kvHeads} does not divide "num_attention_heads" = ${heads}`);
  if (cfg.headDim === undefined && dim % heads !== 0) throw new Error(`${cfg.file}: "num_attention_heads" = ${heads} does not divide "hidden_size" = ${dim}; set "head_dim"`);
  const e = cfg.headDim ?? dim / heads;
  const eps = cfg.rmsNormEps;
  const gemma2 = family === 'gemma2';
  const unitOffset = family === 'gemma' || gemma2;
  const scale = gemma2 ? 1 / Math.sqrt(cfg.queryPreAttnScalar ?? 256) : null;
  const fused = family === 'phi3';

  const layerIds = indicesOf(weightOf(n.inputNorm), t.tensors.keys());
  if (layerIds.length === 0) throw t.error(`missing tensor '${weightOf(fill(n.inputNorm, { i: 0 }))}' (first decoder layer)`);
  requireContiguous(layerIds, 0, `${t.source}: decoder layers '${n.layer}'`);
  if (cfg.numLayers !== undefined && cfg.numLayers !== layerIds.length) {
    const missing = weightOf(fill(n.inputNorm, { i: layerIds.length }));
    throw new Error(`${cfg.file}: "num_hidden_layers" = ${cfg.numLayers}, but ${t.source} has ${layerIds.length} layers (no '${missing}'; a missing shard?)`);
  }

  // ---- embedding (Gemma: × √hidden, rounded to the working dtype float32) ----
  const normalizer = unitOffset ? Math.fround(Math.sqrt(dim)) : null;
  const stages: Stage[] = [
    makeStage(n.embed, false, [emb], (be, ids, p) =>
      scoped(be, async (s) => {
        const x = await s.op(be.embedding(ids, p(emb)));
        if (normalizer === null) return x;
        const scale = s.add(be.upload(new Float32Array(dim).fill(normalizer), [dim]));
        return s.op(be.mul(x, scale));
      }),
      // an embedding is linear in its table: (Σ c_j E_j)[ids] = Σ c_j E_j[ids], each sum rounded once
      // (Gemma's × √hidden after the sum would round differently: not claimed)
      { linearInParams: normalizer === null },
    ),
  ];

  // ---- RoPE tables on the host, once per sequence length ----
  const tables = new Map<number, ReturnType<typeof ropeTables>>();
  const tablesFor = (T: number) => {
    let tab = tables.get(T);
    if (!tab) {
      tab = ropeTables(cfg.rope, e, T);
      tables.set(T, tab);
    }
    return tab;
  };
  const windowOf = (i: number): number | null => {
    if (cfg.layerTypes) return cfg.layerTypes[i] === 'sliding_attention' ? cfg.slidingWindow ?? null : null;
    if (cfg.slidingWindow === null) return null;
    if ((family === 'qwen2' || family === 'qwen3') && cfg.maxWindowLayers !== undefined && i < cfg.maxWindowLayers) return null;
    if (gemma2 && i % 2 === 1) return null; // Gemma2DecoderLayer: is_sliding = not bool(layer_idx % 2)
    return cfg.slidingWindow;
  };

  let prev = n.embed;
  for (const i of layerIds) {
    const f = (tpl: string) => fill(tpl, { i });
    const why = `hidden size ${dim} from ${prev}'s output`;
    const inNorm = normParams(t, f(n.inputNorm), dim, `(${why})`);
    const qDim = heads * e, kvDim = kvHeads * e;
    const hd = `head_dim ${e}${cfg.headDim === undefined ? ' = hidden_size / num_attention_heads' : ''}`;
    const byConfig = (what: string) => `${what} × ${hd}, from ${cfg.file}`;
    const qkvNames: { qkv: LinearInfo } | { q: LinearInfo; k: LinearInfo; v: LinearInfo } = fused
      ? { qkv: proj(t, f(n.qkv), dim, qDim + 2 * kvDim, byConfig(`packed q|k|v: (num_attention_heads ${heads} + 2 × num_key_value_heads ${kvHeads})`)) }
      : {
          q: proj(t, f(n.q), dim, qDim, byConfig(`num_attention_heads ${heads}`)),
          k: proj(t, f(n.k), dim, kvDim, byConfig(`num_key_value_heads ${kvHeads}`)),
          v: proj(t, f(n.v), dim, kvDim, byConfig(`num_key_value_heads ${kvHeads}`)),
        };
    const qkNorm = family === 'qwen3'
      ? { q: normParams(t, f(n.qNorm), e, `(head_dim ${e})`), k: normParams(t, f(n.kNorm), e, `(head_dim ${e})`) }
      : null;
    const o = proj(t, f(n.o), qDim, dim, `hidden size ${dim}, residual add`);
    const postNorm = normParams(t, f(n.postAttnNorm), dim, `(hidden size ${dim})`);
    const ffNorms = gemma2
      ? { pre: normParams(t, f(n.preFfNorm), dim, `(hidden size ${dim})`), post: normParams(t, f(n.postFfNorm), dim, `(hidden size ${dim})`) }
      : null;
    let mlp: { gateUp: LinearInfo; inter: number } | { gate: LinearInfo; up: LinearInfo; inter: number };
    if (fused) {
      const gateUp = linearParams(t, f(n.gateUp), dim, `(hidden size ${dim})`, 'outIn');
      if (gateUp.outFeatures % 2 !== 0) throw t.error(`${weightOf(f(n.gateUp))} has ${gateUp.outFeatures} output features, expected 2 × intermediate_size ([gate | up])`);
      mlp = { gateUp, inter: gateUp.outFeatures / 2 };
    } else {
      const gate = linearParams(t, f(n.gate), dim, `(hidden size ${dim})`, 'outIn');
      const up = proj(t, f(n.up), dim, gate.outFeatures, `intermediate size from ${weightOf(f(n.gate))}`);
      mlp = { gate, up, inter: gate.outFeatures };
    }
    if (cfg.intermediateSize !== undefined && cfg.intermediateSize !== mlp.inter) {
      const w = 'gateUp' in mlp ? weightOf(f(n.gateUp)) : weightOf(f(n.gate));
      throw contradicts('intermediate_size', cfg.intermediateSize, w, t.tensors.get(w)!.shape);
    }
    const down = proj(t, f(n.down), mlp.inter, dim, `hidden size ${dim}, residual add`);
    const params = [
      inNorm.weight, ...Object.values(qkvNames).flatMap((l) => l.params), ...(qkNorm ? [qkNorm.q.weight, qkNorm.k.weight] : []),
      ...o.params, postNorm.weight, ...(ffNorms ? [ffNorms.pre.weight, ffNorms.post.weight] : []), ...('gateUp' in mlp ? mlp.gateUp.params : [...mlp.gate.params, ...mlp.up.params]), ...down.params,
    ];
    const window = windowOf(i);
    const lin = (be: Backend, x: DeviceTensor, l: LinearInfo, p: ParamLookup) => be.linear(x, p.weight(l.weight), optionalParam(p, l.bias), 'outIn');
    const act = (be: Backend, x: DeviceTensor) => (cfg.hiddenAct === 'silu' ? be.silu(x) : be.gelu(x, cfg.hiddenAct === 'gelu' ? 'erf' : 'tanh'));

    stages.push(
      makeStage(f(n.layer), true, params, (be, x, p) =>
        scoped(be, async (s) => {
          const [N, T] = x.shape;
          const tab = tablesFor(T);
          const cos = s.add(be.upload(tab.cos, [T, tab.half]));
          const sin = s.add(be.upload(tab.sin, [T, tab.half]));
          // ---- attention ----
          const h = await s.op(be.rmsNorm(x, p(inNorm.weight), eps, unitOffset));
          let q: DeviceTensor, k: DeviceTensor, v: DeviceTensor;
          if ('qkv' in qkvNames) {
            const qkv = await s.op(lin(be, h, qkvNames.qkv, p));
            q = await s.op(be.narrow(qkv, 0, qDim));
            k = await s.op(be.narrow(qkv, qDim, kvDim));
            v = await s.op(be.narrow(qkv, qDim + kvDim, kvDim));
            s.drop(qkv);
          } else {
            q = await s.op(lin(be, h, qkvNames.q, p));
            k = await s.op(lin(be, h, qkvNames.k, p));
            v = await s.op(lin(be, h, qkvNames.v, p));
          }
          s.drop(h);
          const headwise = async (y: DeviceTensor, hs: number, norm: Norm | undefined): Promise<DeviceTensor> => {
            let cur = s.view(y, [N, T, hs, e]);
            if (norm) {
              const normed = await s.op(be.rmsNorm(cur, p(norm.weight), eps, false));
              s.drop(cur);
              cur = normed;
            }
            const rotated = await s.op(be.rope(cur, cos, sin));
            s.drop(cur);
            return s.view(rotated, [N, T, hs * e]);
          };
          q = await headwise(q, heads, qkNorm?.q);
          k = await headwise(k, kvHeads, qkNorm?.k);
          const softcap = cfg.attnLogitSoftcapping ?? null;
          const att = await s.op(be.groupedAttention(q, k, v, { heads, kvHeads, causal: true, window, scale: scale ?? 1 / Math.sqrt(e), softcap }));
          s.drop(q, k, v, cos, sin);
          let attOut = await s.op(lin(be, att, o, p));
          s.drop(att);
          if (ffNorms) {
            const normed = await s.op(be.rmsNorm(attOut, p(postNorm.weight), eps, true));
            s.drop(attOut);
            attOut = normed;
          }
          const x1 = await s.op(be.add(x, attOut));
          s.drop(attOut);
          // ---- MLP ----
          const h2 = await s.op(be.rmsNorm(x1, p((ffNorms ? ffNorms.pre : postNorm).weight), eps, unitOffset));
          let gate: DeviceTensor, up: DeviceTensor;
          if ('gateUp' in mlp) {
            const gu = await s.op(lin(be, h2, mlp.gateUp, p));
            gate = await s.op(be.narrow(gu, 0, mlp.inter));
            up = await s.op(be.narrow(gu, mlp.inter, mlp.inter));
            s.drop(gu);
          } else {
            gate = await s.op(lin(be, h2, mlp.gate, p));
            up = await s.op(lin(be, h2, mlp.up, p));
          }
          s.drop(h2);
          const a = await s.op(act(be, gate));
          s.drop(gate);
          const m = await s.op(be.mul(a, up));
          s.drop(a, up);
          let d = await s.op(lin(be, m, down, p));
          s.drop(m);
          if (ffNorms) {
            const normed = await s.op(be.rmsNorm(d, p(ffNorms.post.weight), eps, true));
            s.drop(d);
            d = normed;
          }
          return s.op(be.add(x1, d));
        }),
      ),
    );
    prev = f(n.layer);
  }

  // ---- final norm and lm_head (tied: embed_tokens) ----
  const finalNorm = normParams(t, n.finalNorm, dim, `(hidden size ${dim})`);
  const headName = weightOf(n.lmHead);
  let head = emb;
  if (!cfg.tieWordEmbeddings) {
    if (!t.has(headName)) throw new Error(`${t.source}: missing tensor '${headName}' ("tie_word_embeddings" is false in ${cfg.file})`);
    t.exact(headName, [vocab, dim], `output projection [vocab, hidden] (vocab from ${emb})`);
    head = headName;
  }
  stages.push(
    makeStage(n.finalNorm, true, [finalNorm.weight], (be, x, p) => be.rmsNorm(x, p(finalNorm.weight), eps, unitOffset)),
    // gemma2: the hook is Gemma2ForCausalLM's logits, cap · tanh(lm_head(x) / cap), not the bare Linear
    makeStage(n.lmHead, true, [head], (be, x, p) =>
      cfg.finalLogitSoftcapping === undefined
        ? be.linear(x, p.weight(head), null, 'outIn')
        : scoped(be, async (s) => be.softcap(await s.op(be.linear(x, p.weight(head), null, 'outIn')), cfg.finalLogitSoftcapping!)),
    ),
  );
  return {
    config: { ...config, architecture: family, numHeads: heads },
    stages,
    hooks: stages.filter((st) => st.hook).map((st) => st.name),
    logitsHook: n.lmHead,
    classes: vocab,
    input: { kind: 'tokens', shape: [-1, -1], vocab },
  };
}
