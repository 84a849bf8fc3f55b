// timm VisionTransformer (timm/models/vision_transformer.py, `vit_*` with a class token and
// 'token' pooling): patch_embed.proj → cat(cls_token) + pos_embed (pos_drop) → [norm_pre] →
// blocks.{i} (norm1, attn.qkv packed, attn.proj, norm2, mlp.fc1/fc2) → norm → head on the class token.
import type { VisionTowerNaming } from './vision_tower_types.js';

const block = 'blocks.{i}';

export const timmVit: VisionTowerNaming = {
  convention: 'timm VisionTransformer',
  architecture: 'vit',
  signature: { names: ['cls_token', 'pos_embed', 'patch_embed.proj.weight'], prefixes: ['blocks.0.attn.qkv.'] },
  patchConv: 'patch_embed.proj',
  classToken: 'cls_token',
  posEmbedding: 'pos_embed',
  embed: { name: 'pos_drop', hook: true },
  lnPre: 'norm_pre',
  layer: block,
  ln1: `${block}.norm1`,
  qkv: { kind: 'packed', weight: `${block}.attn.qkv.weight`, bias: `${block}.attn.qkv.bias` },
  attnOut: `${block}.attn.proj`,
  ln2: `${block}.norm2`,
  mlpIn: `${block}.mlp.fc1`,
  mlpOut: `${block}.mlp.fc2`,
  finalLn: { module: 'norm', on: 'allTokens' },
  proj: null,
  head: 'head',
  ignored: [],
  defaults: { eps: 1e-6, activation: 'gelu', headDim: null },
  unsupported: ['reg_token', 'fc_norm.weight', 'attn_pool.latent', 'blocks.0.ls1.gamma', 'blocks.0.attn.q_norm.weight', 'patch_embed.norm.weight'],
};
