// `ctlkit inspect <file.safetensors>`: header rules, layout, every tensor read, the summary table.
import fs from 'node:fs';
import path from 'node:path';
import { openCheckpoint } from '../../src/io/checkpoint.js';
import { formatSummary, summarize } from '../../src/cli/inspect.js';
import { summarizeModel } from '../../src/cli/model_summary.js';
import { JSON_DICT, fixture, scratch, stFile } from './common.js';

const file = path.join(scratch('safetensors'), 'model.safetensors');

export async function fuzz(data: Buffer): Promise<void> {
  fs.writeFileSync(file, data);
  const ckpt = await openCheckpoint(file);
  try {
    for (const name of ckpt.tensors.keys()) await ckpt.read(name);
    formatSummary({ ...summarize(ckpt), model: summarizeModel(ckpt, {}) });
  } finally {
    await ckpt.close();
  }
}

export function seeds(): Buffer[] {
  return [
    fixture('models/mlp/inputs.safetensors'),
    fixture('io/half_golden.safetensors').subarray(0, 4096),
    stFile({ __metadata__: { format: 'pt' }, '0.weight': { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] }, '0.bias': { dtype: 'F16', shape: [2], data_offsets: [16, 20] } }, new Uint8Array(20)),
    stFile({ x: { dtype: 'BF16', shape: [3], data_offsets: [0, 6] }, y: { dtype: 'I64', shape: [1], data_offsets: [6, 14] }, z: { dtype: 'BOOL', shape: [], data_offsets: [14, 15] } }, new Uint8Array(15)),
  ];
}

export const dictionary = JSON_DICT;
export const maxLen = 8192;
