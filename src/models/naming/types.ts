// The shape of a naming convention table per family. A table maps each logical role of the family
// (stem conv, block conv k, attention input projection, …) to a name template (see template.ts),
// and names the hooks (PyTorch module names of the captured outputs). Adding a convention
// (Hugging Face ViT, timm, OpenCLIP towers) means adding a table, not code.

/** Names whose presence identifies a convention: every name in `names`, and some name starting with
 *  each of `prefixes`. */
export interface Signature {
  names: string[];
  prefixes: string[];
}

/** Parameter names of a torch module `m` (nn.Linear/Conv2d/LayerNorm/BatchNorm2d). */
export const TORCH_PARAMS = {
  weight: '{m}.weight',
  bias: '{m}.bias',
  runningMean: '{m}.running_mean',
  runningVar: '{m}.running_var',
} as const;

/** nn.Sequential of Linear and ReLU modules, numbered from 0. */
export interface MlpNaming {
  convention: string;
  signature: Signature;
  /** module `{i}` of the Sequential (Linear at even positions, ReLU after each but the last) */
  module: string;
}

export interface ResNetNaming {
  convention: string;
  signature: Signature;
  stemConv: string;
  stemBn: string;
  /** name of the stage after the stem conv: its last module (pooling, or the activation) */
  stemPool: string;
  stemAct: string;
  /** number of the first stage (`{s}`) */
  firstStage: number;
  /** a residual block; also its hook */
  block: string;
  /** conv `{k}` (1-based) of block `{s}.{b}`, and its BatchNorm */
  blockConv: string;
  blockBn: string;
  downsampleConv: string;
  downsampleBn: string;
  /** classifier after global average pooling; also the logits hook */
  fc: string;
}

export interface VitNaming {
  convention: string;
  signature: Signature;
  /** patch embedding conv; also a hook ([N, D, h, w]) */
  patchConv: string;
  /** [1, 1, D] */
  classToken: string;
  /** [1, T, D] */
  posEmbedding: string;
  /** the stage that adds position embeddings (its last module) */
  embedOut: string;
  /** encoder layer `{i}`; also its hook */
  layer: string;
  ln1: string;
  /** packed q|k|v projection, [3D, D] weight and [3D] bias */
  qkvWeight: string;
  qkvBias: string;
  attnOut: string;
  ln2: string;
  mlpIn: string;
  mlpOut: string;
  /** final LayerNorm; also a hook */
  finalLn: string;
  /** classifier on the class token; also the logits hook */
  head: string;
  /** modules ctlkit does not implement; present → error naming them */
  unsupported: string[];
}

export interface Gpt2Naming {
  convention: string;
  signature: Signature;
  /** token embedding [V, D] (nn.Embedding) */
  wte: string;
  /** position embedding [P, D] */
  wpe: string;
  /** the stage that sums the embeddings (its last module) */
  embedOut: string;
  /** block `{i}`; also its hook */
  block: string;
  ln1: string;
  /** Conv1D modules: weights [in, out] */
  attnQkv: string;
  attnOut: string;
  ln2: string;
  mlpIn: string;
  mlpOut: string;
  /** final LayerNorm; also a hook */
  finalLn: string;
  /** output projection (no bias), tied to `wte` when absent; also the logits hook */
  lmHead: string;
}
