// `--config config.json` of features / sweep / inspect: loadModelConfig on an explicit file.
import fs from 'node:fs';
import path from 'node:path';
import { loadModelConfig } from '../../src/models/config.js';
import { JSON_DICT, fixture, scratch } from './common.js';

const dir = scratch('config');
const file = path.join(dir, 'config.json');

export async function fuzz(data: Buffer): Promise<void> {
  fs.writeFileSync(file, data);
  await loadModelConfig(dir, file);
}

export function seeds(): Buffer[] {
  return [
    fixture('sweeps/mlp/config.json'),
    fixture('models/gpt2/config.json'),
    fixture('models/vit/config.json'),
    fixture('sweeps/resnet/config.json'),
    Buffer.from('{"architecture":"gpt2","n_head":4,"num_attention_heads":4,"layer_norm_epsilon":1e-5,"text_config":{"a":[1,2,{"b":null}]}}'),
  ];
}

export const dictionary = JSON_DICT;
export const maxLen = 4096;
