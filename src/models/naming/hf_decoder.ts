// Hugging Face <Family>ForCausalLM (LlamaForCausalLM, MistralForCausalLM, Qwen2/Qwen3ForCausalLM,
// GemmaForCausalLM, Gemma2ForCausalLM, Phi3ForCausalLM): `model.embed_tokens`, `model.layers.{i}`, `model.norm`,
// `lm_head` (absent when tied). nn.Linear weights [out, in].
import type { Signature } from './types.js';

export interface DecoderNaming {
  convention: string;
  signature: Signature;
  embed: string;
  /** decoder layer `{i}`; also its hook (the residual stream after the layer) */
  layer: string;
  inputNorm: string;
  q: string;
  k: string;
  v: string;
  /** phi3: packed [q | k | v] projection */
  qkv: string;
  /** qwen3: per-head RMSNorm over head_dim */
  qNorm: string;
  kNorm: string;
  o: string;
  postAttnNorm: string;
  /** gemma2: norms before and after the MLP (post_attention_layernorm then normalises the attention output) */
  preFfNorm: string;
  postFfNorm: string;
  gate: string;
  up: string;
  /** phi3: packed [gate | up] projection */
  gateUp: string;
  down: string;
  /** final RMSNorm; also a hook */
  finalNorm: string;
  /** output projection (no bias); also the logits hook */
  lmHead: string;
}

const L = 'model.layers.{i}';
export const hfDecoder: DecoderNaming = {
  convention: 'Hugging Face <Family>ForCausalLM',
  signature: { names: ['model.embed_tokens.weight'], prefixes: ['model.layers.0.self_attn.'] },
  embed: 'model.embed_tokens',
  layer: L,
  inputNorm: `${L}.input_layernorm`,
  q: `${L}.self_attn.q_proj`,
  k: `${L}.self_attn.k_proj`,
  v: `${L}.self_attn.v_proj`,
  qkv: `${L}.self_attn.qkv_proj`,
  qNorm: `${L}.self_attn.q_norm`,
  kNorm: `${L}.self_attn.k_norm`,
  o: `${L}.self_attn.o_proj`,
  postAttnNorm: `${L}.post_attention_layernorm`,
  preFfNorm: `${L}.pre_feedforward_layernorm`,
  postFfNorm: `${L}.post_feedforward_layernorm`,
  gate: `${L}.mlp.gate_proj`,
  up: `${L}.mlp.up_proj`,
  gateUp: `${L}.mlp.gate_up_proj`,
  down: `${L}.mlp.down_proj`,
  finalNorm: 'model.norm',
  lmHead: 'lm_head',
};
