// open_clip / OpenAI CLIP (open_clip 2.0.2 src/open_clip/model.py: CLIP, VisualTransformer,
// ResidualAttentionBlock with nn.MultiheadAttention): the visual tower `visual.*` of a CLIP state
// dict, bare or inside task_vectors' ImageEncoder (`model.visual.*`). The text tower's tensors are
// known and left alone.
import type { VisionTowerNaming } from './vision_tower_types.js';

function openClip(prefix: string, convention: string): VisionTowerNaming {
  const v = `${prefix}visual.`;
  const block = `${v}transformer.resblocks.{i}`;
  return {
    convention,
    architecture: 'clip',
    signature: { names: [`${v}class_embedding`, `${v}conv1.weight`], prefixes: [] },
    patchConv: `${v}conv1`,
    classToken: `${v}class_embedding`,
    posEmbedding: `${v}positional_embedding`,
    embed: { name: `${v}positional_embedding`, hook: false },
    lnPre: `${v}ln_pre`,
    layer: block,
    ln1: `${block}.ln_1`,
    qkv: { kind: 'packed', weight: `${block}.attn.in_proj_weight`, bias: `${block}.attn.in_proj_bias` },
    attnOut: `${block}.attn.out_proj`,
    ln2: `${block}.ln_2`,
    mlpIn: `${block}.mlp.c_fc`,
    mlpOut: `${block}.mlp.c_proj`,
    finalLn: { module: `${v}ln_post`, on: 'classToken' },
    // encode_image's output: the `visual` module itself
    proj: { kind: 'matrix', tensor: `${v}proj`, hook: `${prefix}visual` },
    head: null,
    ignored: [
      `${prefix}token_embedding.`, `${prefix}positional_embedding`, `${prefix}transformer.`, `${prefix}ln_final.`,
      `${prefix}text_projection`, `${prefix}logit_scale`, `${prefix}attn_mask`,
    ],
    defaults: { eps: 1e-5, activation: 'quick_gelu', headDim: 64 },
    unsupported: [`${v}attnpool.c_proj.weight`, `${block.replace('{i}', '0')}.ln_attn.weight`, `${block.replace('{i}', '0')}.mlp.ln.weight`],
  };
}

/** task_vectors' ImageEncoder (`self.model` = the open_clip CLIP): `model.visual.*`. */
export const openClipTaskVectors = openClip('model.', 'open_clip CLIP in task_vectors ImageEncoder');
/** An open_clip / OpenAI CLIP state dict: `visual.*`. */
export const openClipModel = openClip('', 'open_clip CLIP');
