// `ctlkit inspect model.safetensors.index.json`: the weight_map against two real shards.
import fs from 'node:fs';
import path from 'node:path';
import { openCheckpoint } from '../../src/io/checkpoint.js';
import { JSON_DICT, scratch, stFile } from './common.js';

const dir = scratch('index_json');
const f32 = (n: number): Uint8Array => new Uint8Array(n * 4);
fs.writeFileSync(path.join(dir, 'model-00001-of-00002.safetensors'), stFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, f32(3)));
fs.writeFileSync(path.join(dir, 'model-00002-of-00002.safetensors'), stFile({ c: { dtype: 'F32', shape: [2, 1], data_offsets: [0, 8] } }, f32(2)));
const file = path.join(dir, 'model.safetensors.index.json');

export async function fuzz(data: Buffer): Promise<void> {
  fs.writeFileSync(file, data);
  const ckpt = await openCheckpoint(file);
  try {
    for (const name of ckpt.tensors.keys()) await ckpt.read(name);
  } finally {
    await ckpt.close();
  }
}

export function seeds(): Buffer[] {
  const map = { a: 'model-00001-of-00002.safetensors', b: 'model-00001-of-00002.safetensors', c: 'model-00002-of-00002.safetensors' };
  return [
    Buffer.from(JSON.stringify({ metadata: { total_size: 20 }, weight_map: map })),
    Buffer.from(JSON.stringify({ weight_map: { ...map, c: '../model-00002-of-00002.safetensors' } })),
  ];
}

export const dictionary = [...JSON_DICT, '"model-00001-of-00002.safetensors"', '"model-00002-of-00002.safetensors"', '"a"', '"b"', '"c"', '"../"', '"/etc/passwd"'];
export const maxLen = 4096;
