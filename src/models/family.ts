// A model family turns a checkpoint's tensor names and shapes into an ordered list of stages.
// Each stage reads the previous stage's output and its own parameters; stages whose `hook` is set
// are the layers whose features ctlkit captures (PyTorch module names, exact forward outputs).
// Running stages one after another is the forward pass; the sweep runner interleaves rows and
// basis models stage by stage, which is why a model is a list and not a closure.
import type { Backend, DeviceTensor } from '../backends/backend.js';

/** Every model family ctlkit builds. */
export const ARCHITECTURES = ['mlp', 'resnet', 'vit', 'gpt2', 'clip'] as const;
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
  /** clip, vit (HF / timm): MLP activation (HF `hidden_act`); default per convention */
  hiddenAct?: 'quick_gelu' | 'gelu' | 'gelu_tanh';
  /** clip, vit: dims a config.json states (HF names), checked against the tensors */
  dims?: Partial<Record<'hidden_size' | 'num_hidden_layers' | 'intermediate_size' | 'patch_size' | 'image_size' | 'projection_dim', number>>;
}

/** Looks a parameter up by its checkpoint name (already on the backend). */
export type ParamLookup = (name: string) => DeviceTensor;

export interface Stage {
  /** PyTorch module name, e.g. `layer2.1`, `encoder.layers.encoder_layer_0`, `transformer.h.3`. */
  readonly name: string;
  /** True when this stage's output is a capturable feature (a hook). */
  readonly hook: boolean;
  /** Float parameters (checkpoint names) that `run` reads. */
  readonly params: readonly string[];
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
  readonly input: InputSpec;
}
