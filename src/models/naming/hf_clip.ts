// Hugging Face transformers CLIP (models/clip/modeling_clip.py): CLIPVisionModel and
// CLIPVisionModelWithProjection (`vision_model.*`, `visual_projection`), and the vision tower of a
// CLIPModel (its `text_model.*`, `text_projection`, `logit_scale` are known and left alone).
// `pre_layrnorm` is spelled as in transformers.
import type { VisionTowerNaming } from './vision_tower_types.js';

const v = 'vision_model.';
const block = `${v}encoder.layers.{i}`;

export const hfClipVision: VisionTowerNaming = {
  convention: 'Hugging Face CLIPVisionModel / CLIPModel',
  architecture: 'clip',
  signature: { names: [`${v}embeddings.class_embedding`, `${v}embeddings.patch_embedding.weight`], prefixes: [] },
  patchConv: `${v}embeddings.patch_embedding`,
  classToken: `${v}embeddings.class_embedding`,
  posEmbedding: `${v}embeddings.position_embedding.weight`,
  embed: { name: `${v}embeddings`, hook: true },
  lnPre: `${v}pre_layrnorm`,
  layer: block,
  ln1: `${block}.layer_norm1`,
  qkv: { kind: 'separate', q: `${block}.self_attn.q_proj`, k: `${block}.self_attn.k_proj`, v: `${block}.self_attn.v_proj` },
  attnOut: `${block}.self_attn.out_proj`,
  ln2: `${block}.layer_norm2`,
  mlpIn: `${block}.mlp.fc1`,
  mlpOut: `${block}.mlp.fc2`,
  finalLn: { module: `${v}post_layernorm`, on: 'classToken' },
  proj: { kind: 'linear', module: 'visual_projection', hook: 'visual_projection', optional: true },
  head: null,
  ignored: [`${v}embeddings.position_ids`, 'text_model.', 'text_projection.', 'logit_scale'],
  defaults: { eps: 1e-5, activation: 'quick_gelu', headDim: 64 },
  unsupported: [],
};
