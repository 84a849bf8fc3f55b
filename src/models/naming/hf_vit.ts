// Hugging Face transformers ViT (models/vit/modeling_vit.py): ViTForImageClassification (`vit.*`,
// `classifier`) and ViTModel saved on its own (no prefix; its tanh pooler is known, not run).
import type { VisionTowerNaming } from './vision_tower_types.js';

function hfVit(prefix: string, convention: string, signature: string[]): VisionTowerNaming {
  const block = `${prefix}encoder.layer.{i}`;
  return {
    convention,
    architecture: 'vit',
    signature: { names: signature, prefixes: [] },
    patchConv: `${prefix}embeddings.patch_embeddings.projection`,
    classToken: `${prefix}embeddings.cls_token`,
    posEmbedding: `${prefix}embeddings.position_embeddings`,
    embed: { name: `${prefix}embeddings`, hook: true },
    lnPre: null,
    layer: block,
    ln1: `${block}.layernorm_before`,
    qkv: { kind: 'separate', q: `${block}.attention.attention.query`, k: `${block}.attention.attention.key`, v: `${block}.attention.attention.value` },
    attnOut: `${block}.attention.output.dense`,
    ln2: `${block}.layernorm_after`,
    mlpIn: `${block}.intermediate.dense`,
    mlpOut: `${block}.output.dense`,
    finalLn: { module: `${prefix}layernorm`, on: 'allTokens' },
    proj: null,
    head: prefix === '' ? null : 'classifier',
    ignored: [`${prefix}pooler.`],
    defaults: { eps: 1e-12, activation: 'gelu', headDim: null },
    unsupported: [`${prefix}embeddings.mask_token`],
  };
}

export const hfVitForImageClassification = hfVit('vit.', 'Hugging Face ViTForImageClassification', ['vit.embeddings.cls_token']);
export const hfVitModel = hfVit('', 'Hugging Face ViTModel', ['embeddings.cls_token', 'embeddings.patch_embeddings.projection.weight']);
