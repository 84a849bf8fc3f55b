// torchvision.models.VisionTransformer (vit_b_16 and friends).
import type { VitNaming } from './types.js';

export const torchvisionVit: VitNaming = {
  convention: 'torchvision VisionTransformer',
  signature: { names: ['conv_proj.weight'], prefixes: [] },
  patchConv: 'conv_proj',
  classToken: 'class_token',
  posEmbedding: 'encoder.pos_embedding',
  embedOut: 'encoder.dropout',
  layer: 'encoder.layers.encoder_layer_{i}',
  ln1: 'encoder.layers.encoder_layer_{i}.ln_1',
  qkvWeight: 'encoder.layers.encoder_layer_{i}.self_attention.in_proj_weight',
  qkvBias: 'encoder.layers.encoder_layer_{i}.self_attention.in_proj_bias',
  attnOut: 'encoder.layers.encoder_layer_{i}.self_attention.out_proj',
  ln2: 'encoder.layers.encoder_layer_{i}.ln_2',
  mlpIn: 'encoder.layers.encoder_layer_{i}.mlp.0',
  mlpOut: 'encoder.layers.encoder_layer_{i}.mlp.3',
  finalLn: 'encoder.ln',
  head: 'heads.head',
  unsupported: ['heads.pre_logits.weight'],
};
