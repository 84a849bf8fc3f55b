// torch.nn.Sequential(Linear, ReLU, Linear, ReLU, …, Linear) saved with its state_dict: `0.weight`, `2.weight`, …
import type { MlpNaming } from './types.js';

export const torchSequentialMlp: MlpNaming = {
  convention: 'torch nn.Sequential',
  signature: { names: ['0.weight'], prefixes: [] },
  module: '{i}',
};
