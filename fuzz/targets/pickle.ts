// `ctlkit convert model.pt` on a torch.save zip archive (torch >= 1.6): openCheckpoint (zip directory,
// data.pkl through the restricted unpickler, tensor placement) and every tensor read, as convert does.
import fs from 'node:fs';
import path from 'node:path';
import { openCheckpoint } from '../../src/io/checkpoint.js';
import { PICKLE_DICT, ZIP_DICT, fixture, scratch } from './common.js';

const file = path.join(scratch('pickle'), 'pytorch_model.bin');

export async function fuzz(data: Buffer): Promise<void> {
  fs.writeFileSync(file, data);
  const ckpt = await openCheckpoint(file);
  try {
    for (const name of ckpt.tensors.keys()) await ckpt.read(name);
  } finally {
    await ckpt.close();
  }
}

const ZIPS = ['state.pt', 'training.pt', 'two_sets.pt', 'subclass.pt', 'mlp_module.pt', 'lightning.ckpt', 'module.pt', 'attack_os_system.pt', 'attack_getattr.pt',
  'bad_expand.pt', 'bad_offset.pt', 'bad_stride.pt', 'bad_short_storage.pt', 'bad_huge.pt', 'sharded/pytorch_model-00001-of-00002.bin'];

export function seeds(): Buffer[] {
  return ZIPS.map((f) => fixture(`pickle/${f}`));
}

export const dictionary = [...ZIP_DICT, ...PICKLE_DICT];
export const maxLen = 24 * 1024;
