// The naming table of a vision transformer tower as the CLIP / ViT conventions save it (open_clip,
// Hugging Face CLIP and ViT, timm): one table per convention, one builder (vision_tower.ts).
// Every name is a full checkpoint name or module path, prefix included; module paths are also
// the hook names (what `named_modules()` prints for the model that saved the file).
import type { Signature } from './types.js';

export type VisionActivation = 'quick_gelu' | 'gelu' | 'gelu_tanh';

/** q|k|v as one packed [3D, D] weight and [3D] bias (nn.MultiheadAttention, timm qkv), or as
 *  three Linear modules (Hugging Face), packed by the builder with concatLast. */
export type QkvNaming =
  | { kind: 'packed'; weight: string; bias: string }
  | { kind: 'separate'; q: string; k: string; v: string };

export interface VisionTowerNaming {
  convention: string;
  architecture: 'clip' | 'vit';
  signature: Signature;
  /** patch embedding Conv2d (bias optional); a hook ([N, D, h, w]) */
  patchConv: string;
  /** class token tensor, [D] or [1, 1, D] */
  classToken: string;
  /** position embedding tensor, [T, D] or [1, T, D] */
  posEmbedding: string;
  /** the stage that prepends the class token and adds positions; `hook` when it is a module */
  embed: { name: string; hook: boolean };
  /** LayerNorm before the blocks (CLIP ln_pre / pre_layrnorm); used when its weight is present */
  lnPre: string | null;
  /** block `{i}`; a hook ([N, T, D], batch-first) */
  layer: string;
  ln1: string;
  qkv: QkvNaming;
  attnOut: string;
  ln2: string;
  mlpIn: string;
  mlpOut: string;
  /** final LayerNorm; a hook. 'classToken': applied to the class token only ([N, D]) */
  finalLn: { module: string; on: 'classToken' | 'allTokens' };
  /** output projection of the class token: a [D, E] matrix (x @ proj) or a Linear module; its
   *  hook is `hook`. Optional in the checkpoint when `optional`. */
  proj: { kind: 'matrix'; tensor: string; hook: string } | { kind: 'linear'; module: string; hook: string; optional: true } | null;
  /** classifier Linear on the class token; used when present; the logits hook */
  head: string | null;
  /** names (exact, or prefixes ending in '.') the convention knows but the image model does not
   *  read: text-tower leftovers, poolers, position_ids buffers */
  ignored: string[];
  /** defaults when config.json does not say */
  defaults: { eps: number; activation: VisionActivation; headDim: number | null };
  /** modules ctlkit does not implement; present → an error naming them */
  unsupported: string[];
}
