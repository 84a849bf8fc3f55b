// torchvision.models.ResNet (BasicBlock and Bottleneck).
import type { ResNetNaming } from './types.js';

export const torchvisionResNet: ResNetNaming = {
  convention: 'torchvision ResNet',
  signature: { names: ['conv1.weight'], prefixes: ['layer1.0.'] },
  stemConv: 'conv1',
  stemBn: 'bn1',
  stemPool: 'maxpool',
  stemAct: 'relu',
  firstStage: 1,
  block: 'layer{s}.{b}',
  blockConv: 'layer{s}.{b}.conv{k}',
  blockBn: 'layer{s}.{b}.bn{k}',
  downsampleConv: 'layer{s}.{b}.downsample.0',
  downsampleBn: 'layer{s}.{b}.downsample.1',
  fc: 'fc',
};
