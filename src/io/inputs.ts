// Model inputs (and optional integer labels) from a safetensors file or a .npy file.
import fs from 'node:fs/promises';
import type { IntTensor, Tensor } from '../tensor.js';
import { openCheckpoint } from './checkpoint.js';
import { fsReason } from './fs_errors.js';
import { readNpy } from './npy.js';
import { quoteName } from '../util/escape.js';

export interface InputOptions {
  /** Tensor name of the inputs in a safetensors file (default `inputs`). */
  key?: string;
  /** Tensor name of the labels in a safetensors file (default `labels`); absent labels are fine. */
  labelKey?: string;
}

export interface Inputs {
  inputs: Tensor;
  labels?: IntTensor;
}

export async function readInputs(file: string, { key = 'inputs', labelKey = 'labels' }: InputOptions = {}): Promise<Inputs> {
  await fs.access(file).catch((e: unknown) => {
    throw new Error(`${file}: cannot read inputs (${fsReason(e)})`);
  });
  if (file.toLowerCase().endsWith('.npy')) return { inputs: await readNpy(file) };
  const ckpt = await openCheckpoint(file);
  try {
    if (!ckpt.tensors.has(key)) {
      const names = [...ckpt.tensors.keys()].slice(0, 10).map((n) => quoteName(n)).join(', ');
      throw new Error(`${file}: no inputs tensor ${quoteName(key)} (the file holds ${names || 'no tensors'})`);
    }
    const inputs = await ckpt.read(key);
    if (!ckpt.tensors.has(labelKey)) return { inputs };
    const labels = await ckpt.read(labelKey);
    if (labels.dtype === 'float32') throw new Error(`${file}: labels ${quoteName(labelKey)} must be an integer tensor, got ${ckpt.tensors.get(labelKey)!.dtype}`);
    return { inputs, labels };
  } finally {
    await ckpt.close();
  }
}
