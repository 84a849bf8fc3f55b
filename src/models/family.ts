// A model family turns a checkpoint's tensor names and shapes into an ordered list of stages.
// Each stage reads the previous stage's output and its own parameters; stages whose `hook` is set
// are the layers whose features ctlkit captures (PyTorch module names, exact forward outputs).
// Running stages one after another is the forward pass; the sweep runner interleaves rows and
// basis models stage by stage, which is why a model is a list and not a closure.
import type { Backend, DeviceTensor, Weight } from '../backends/backend.js';
import { DECODER_TYPES, type DecoderConfig } from './decoder_config.js';

/** Every model family ctlkit builds. */
export const ARCHITECTURES = ['mlp', 'resnet', 'vit', 'gpt2', 'clip', ...DECODER_TYPES] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

export interface ModelConfig {
  architecture: Architecture;
  /** vit, gpt2 */
  numHeads?: number;
  /** vit (default 1e-6), gpt2 (default 1e-5) */
  layerNormEps?: number;
  /** resnet: 'imagenet' (7×7 stride 2 + maxpool) or 'cifar' (3×3 stride 1, no maxpool) */
  stem?: 'imagenet' | 'cifar';
  /** resnet BatchNorm eps (default 1e-5) */
  batchNormEps?: number;
  /** HF decoder LLMs (llama, mistral, qwen2, qwen3, gemma, phi3): config.json's settings */
  decoder?: DecoderConfig;
  /** config.json `model_type`, kept to name it when no family matches */
  modelType?: string;
  /** clip, vit (HF / timm): MLP activation (HF `hidden_act`); default per convention */
  hiddenAct?: 'quick_gelu' | 'gelu' | 'gelu_tanh';
  /** clip, vit: dims a config.json states (HF names), checked against the tensors */
  dims?: Partial<Record<'hidden_size' | 'num_hidden_layers' | 'intermediate_size' | 'patch_size' | 'image_size' | 'projection_dim', number>>;
}

/** Looks a parameter up by its checkpoint name (already on the backend). `weight(name)` gives a
 *  weight argument (conv2d's / linear's `w`): for a sweep row, a stage's declared weights
 *  (Stage.weights) come as WeightSums over the basis, formed by the op as it reads them. */
export interface ParamLookup {
  (name: string): DeviceTensor;
  weight(name: string): Weight;
}

export interface Stage {
  /** PyTorch module name, e.g. `layer2.1`, `encoder.layers.encoder_layer_0`, `transformer.h.3`. */
  readonly name: string;
  /** True when this stage's output is a capturable feature (a hook). */
  readonly hook: boolean;
  /** Float parameters (checkpoint names) that `run` reads. */
  readonly params: readonly string[];
  /** Those of `params` that `run` reads only through `p.weight` as a conv2d / linear weight: a sweep
   *  row passes them as WeightSums (a backend may form Σ_j c_j W_j while it reads them). */
  readonly weights?: readonly string[];
  /** True when, for a fixed input, the output is linear in the parameters:
   *  f(x; Σ_j c_j θ_j) = Σ_j c_j f(x; θ_j) (a conv or an embedding with its bias). The sweep then
   *  forms the first stage's output of every row from the basis models' outputs. */
  readonly linearInParams?: boolean;
  /** Output = stage(x). Must not release `x`; must release its own intermediates. */
  run(be: Backend, x: DeviceTensor, p: ParamLookup): Promise<DeviceTensor>;
}

export interface InputSpec {
  kind: 'float' | 'tokens';
  /** Expected shape with -1 for the free sample dim (and free dims such as sequence length). */
  shape: number[];
  /** tokens: vocabulary size (ids must be in [0, vocab)). */
  vocab?: number;
  /** tokens: maximum sequence length (positions). */
  maxLength?: number;
}

export interface Model {
  readonly config: ModelConfig;
  readonly stages: readonly Stage[];
  /** Names of the hook stages, in forward order. */
  readonly hooks: readonly string[];
  /** The hook holding class logits (last dim = classes), used for loss/accuracy. */
  readonly logitsHook: string;
  /** The logits' last dim: classes of a classifier, the vocabulary of a language model. */
  readonly classes: number;
  /** Tensors the convention knows and the model does not read (a CLIP checkpoint's text tower):
   *  exact names, or prefixes ending in '.'. Strict loading accepts them. */
  readonly ignored?: readonly string[];
  readonly input: InputSpec;
}
