// The keys of a Hugging Face decoder LLM's config.json (LlamaConfig, MistralConfig, Qwen2Config,
// Qwen3Config, GemmaConfig, Phi3Config) that ctlkit uses, with their defaults from those classes
// (transformers/models/<family>/configuration_<family>.py). RoPE is read from the 4.x keys
// (`rope_theta`, `rope_scaling` with `rope_type` or `type`) or v5's `rope_parameters`.
// Every error names the file and the key.

/** The decoder families, by config.json `model_type`. */
export const DECODER_TYPES = ['llama', 'mistral', 'qwen2', 'qwen3', 'gemma', 'gemma2', 'phi3'] as const;
export type DecoderType = (typeof DECODER_TYPES)[number];

export const ROPE_TYPES = ['default', 'linear', 'dynamic', 'llama3', 'yarn', 'longrope'] as const;
export type RopeType = (typeof ROPE_TYPES)[number];

export interface RopeConfig {
  type: RopeType;
  theta: number;
  /** rotary dims = ⌊head_dim · partialRotaryFactor⌋ (phi3 `partial_rotary_factor`) */
  partialRotaryFactor: number;
  factor?: number;
  /** config `max_position_embeddings` */
  maxPositionEmbeddings?: number;
  /** llama3: rope_scaling's; longrope: the config's (phi3 keeps it at the top level) */
  originalMaxPositionEmbeddings?: number;
  lowFreqFactor?: number;
  highFreqFactor?: number;
  betaFast?: number;
  betaSlow?: number;
  attentionFactor?: number;
  shortFactor?: number[];
  longFactor?: number[];
}

export interface DecoderConfig {
  /** config.json path, for errors */
  file: string;
  modelType: DecoderType;
  hiddenSize?: number;
  intermediateSize?: number;
  numLayers?: number;
  numHeads?: number;
  numKvHeads?: number;
  headDim?: number;
  vocabSize?: number;
  rmsNormEps: number;
  rope: RopeConfig;
  /** sliding window per layer (null: full attention) */
  slidingWindow: number | null;
  /** HF `layer_types` ('sliding_attention' | 'full_attention'), when given */
  layerTypes?: string[];
  /** qwen2/qwen3: layers ≥ this use the sliding window (when use_sliding_window) */
  maxWindowLayers?: number;
  tieWordEmbeddings: boolean;
  hiddenAct: 'silu' | 'gelu_tanh' | 'gelu';
  /** gemma2: attention scale query_pre_attn_scalar^−0.5 (else head_dim^−0.5) */
  queryPreAttnScalar?: number;
  /** gemma2: scores ← cap · tanh(scores / cap) */
  attnLogitSoftcapping?: number;
  /** gemma2: logits ← cap · tanh(logits / cap) */
  finalLogitSoftcapping?: number;
}

type Raw = Record<string, unknown>;

const bad = (file: string, key: string, what: string, v: unknown): never => {
  throw new Error(`${file}: "${key}" must be ${what}, got ${JSON.stringify(v)}`);
};
const num = (file: string, raw: Raw, key: string, prefix = ''): number | undefined => {
  const v = raw[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) bad(file, prefix + key, 'a number', v);
  return v as number;
};
const int = (file: string, raw: Raw, key: string): number | undefined => {
  const v = num(file, raw, key);
  if (v !== undefined && (!Number.isSafeInteger(v) || v < 1)) bad(file, key, 'a positive integer', v);
  return v;
};
const numList = (file: string, raw: Raw, key: string, prefix: string): number[] | undefined => {
  const v = raw[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) bad(file, prefix + key, 'a list of numbers', v);
  return v as number[];
};

const ACTIVATIONS: Record<string, DecoderConfig['hiddenAct']> = {
  silu: 'silu', swish: 'silu', gelu_pytorch_tanh: 'gelu_tanh', gelu_new: 'gelu_tanh', gelu: 'gelu',
};

/** RoPE settings: v5 `rope_parameters`, else 4.x `rope_theta` + `rope_scaling`. */
function parseRope(file: string, raw: Raw, modelType: DecoderType): RopeConfig {
  const params = raw.rope_parameters ?? raw.rope_scaling;
  const key = raw.rope_parameters !== undefined ? 'rope_parameters' : 'rope_scaling';
  const scaling: Raw = params === undefined || params === null ? {} : (params as Raw);
  if (typeof scaling !== 'object' || Array.isArray(scaling)) bad(file, key, 'an object', params);
  const p = `${key}.`;
  const typeValue = scaling.rope_type ?? scaling.type ?? 'default';
  // transformers 4.x Phi3 wrote "su" and "yarn" names before "longrope"
  const type = typeValue === 'su' ? 'longrope' : typeValue;
  if (!(ROPE_TYPES as readonly unknown[]).includes(type)) {
    throw new Error(`${file}: "${p}rope_type" ${JSON.stringify(typeValue)} is not supported (known: ${ROPE_TYPES.join(', ')})`);
  }
  const theta = num(file, scaling, 'rope_theta', p) ?? num(file, raw, 'rope_theta') ?? 10000;
  const partial = num(file, scaling, 'partial_rotary_factor', p) ?? num(file, raw, 'partial_rotary_factor') ?? 1;
  if (!(partial > 0 && partial <= 1)) bad(file, 'partial_rotary_factor', 'in (0, 1]', partial);
  const rope: RopeConfig = {
    type: type as RopeType,
    theta,
    partialRotaryFactor: partial,
    factor: num(file, scaling, 'factor', p),
    maxPositionEmbeddings: int(file, raw, 'max_position_embeddings'),
    originalMaxPositionEmbeddings: num(file, scaling, 'original_max_position_embeddings', p) ?? num(file, raw, 'original_max_position_embeddings'),
    lowFreqFactor: num(file, scaling, 'low_freq_factor', p),
    highFreqFactor: num(file, scaling, 'high_freq_factor', p),
    betaFast: num(file, scaling, 'beta_fast', p),
    betaSlow: num(file, scaling, 'beta_slow', p),
    attentionFactor: num(file, scaling, 'attention_factor', p),
    shortFactor: numList(file, scaling, 'short_factor', p),
    longFactor: numList(file, scaling, 'long_factor', p),
  };
  const need = (k: keyof RopeConfig, name: string): void => {
    if (rope[k] === undefined) throw new Error(`${file}: rope type '${type}' needs "${name}"`);
  };
  if (type === 'linear' || type === 'dynamic' || type === 'llama3' || type === 'yarn') need('factor', `${p}factor`);
  if (type === 'dynamic' || type === 'yarn') need('maxPositionEmbeddings', 'max_position_embeddings');
  if (type === 'llama3') {
    need('lowFreqFactor', `${p}low_freq_factor`);
    need('highFreqFactor', `${p}high_freq_factor`);
    need('originalMaxPositionEmbeddings', `${p}original_max_position_embeddings`);
  }
  if (type === 'longrope') {
    need('shortFactor', `${p}short_factor`);
    need('longFactor', `${p}long_factor`);
    need('maxPositionEmbeddings', 'max_position_embeddings');
  }
  void modelType;
  return rope;
}

/** The decoder settings of a config whose `model_type` is a decoder family, else undefined. */
export function parseDecoderConfig(file: string, raw: Raw): DecoderConfig | undefined {
  const modelType = raw.model_type;
  if (typeof modelType !== 'string' || !(DECODER_TYPES as readonly string[]).includes(modelType)) return undefined;
  const type = modelType as DecoderType;
  const actKey = raw.hidden_activation !== undefined && raw.hidden_activation !== null ? 'hidden_activation' : 'hidden_act';
  // HF Gemma ignores hidden_act and uses gelu_pytorch_tanh unless hidden_activation is set
  const actName = (type === 'gemma' || type === 'gemma2') && actKey === 'hidden_act' ? 'gelu_pytorch_tanh' : (raw[actKey] ?? 'silu');
  const hiddenAct = typeof actName === 'string' ? ACTIVATIONS[actName] : undefined;
  if (!hiddenAct) throw new Error(`${file}: "${actKey}" ${JSON.stringify(actName)} is not supported (known: ${Object.keys(ACTIVATIONS).join(', ')})`);
  const sliding = int(file, raw, 'sliding_window') ?? null;
  const usesWindow = type === 'mistral' || type === 'gemma2' || ((type === 'qwen2' || type === 'qwen3') && raw.use_sliding_window === true);
  const layerTypes = raw.layer_types;
  if (layerTypes !== undefined && layerTypes !== null && (!Array.isArray(layerTypes) || !layerTypes.every((s) => s === 'sliding_attention' || s === 'full_attention'))) {
    bad(file, 'layer_types', 'a list of "sliding_attention" / "full_attention"', layerTypes);
  }
  const tie = raw.tie_word_embeddings ?? (type === 'gemma' || type === 'gemma2');
  if (typeof tie !== 'boolean') bad(file, 'tie_word_embeddings', 'a boolean', tie);
  return {
    file,
    modelType: type,
    hiddenSize: int(file, raw, 'hidden_size'),
    intermediateSize: int(file, raw, 'intermediate_size'),
    numLayers: int(file, raw, 'num_hidden_layers'),
    numHeads: int(file, raw, 'num_attention_heads'),
    numKvHeads: int(file, raw, 'num_key_value_heads'),
    headDim: int(file, raw, 'head_dim'),
    vocabSize: int(file, raw, 'vocab_size'),
    rmsNormEps: num(file, raw, 'rms_norm_eps') ?? 1e-6,
    rope: parseRope(file, raw, type),
    slidingWindow: usesWindow ? sliding : null,
    ...(Array.isArray(layerTypes) ? { layerTypes: layerTypes as string[] } : {}),
    ...(int(file, raw, 'max_window_layers') !== undefined ? { maxWindowLayers: int(file, raw, 'max_window_layers') } : {}),
    tieWordEmbeddings: tie as boolean,
    hiddenAct,
    ...(type === 'gemma2' ? {
      queryPreAttnScalar: num(file, raw, 'query_pre_attn_scalar') ?? 256,
      attnLogitSoftcapping: num(file, raw, 'attn_logit_softcapping'),
      finalLogitSoftcapping: num(file, raw, 'final_logit_softcapping'),
    } : {}),
  };
}
