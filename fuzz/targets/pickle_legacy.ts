// `ctlkit convert model.pt` on a legacy (pre-1.6, non-zip) torch.save file: the magic, protocol and
// sys-info pickles, the object, the storage key list, then each storage's count and bytes; every
// tensor read, as convert does.
import fs from 'node:fs';
import path from 'node:path';
import { openCheckpoint } from '../../src/io/checkpoint.js';
import { PICKLE_DICT, fixture, scratch } from './common.js';

const file = path.join(scratch('pickle_legacy'), 'model.pt');

export async function fuzz(data: Buffer): Promise<void> {
  fs.writeFileSync(file, data);
  const ckpt = await openCheckpoint(file);
  try {
    for (const name of ckpt.tensors.keys()) await ckpt.read(name);
  } finally {
    await ckpt.close();
  }
}

const LEGACY = ['state_legacy.pt', 'training_legacy.pt', 'subclass_legacy.pt', 'ema_legacy.pt', 'attack_os_system_legacy.pt', 'attack_eval_legacy.pt',
  'attack_getattr_legacy.pt', 'bad_expand_legacy.pt', 'bad_offset_legacy.pt', 'bad_stride_legacy.pt', 'bad_huge_legacy.pt', 'bad_huge_count_legacy.pt'];

export function seeds(): Buffer[] {
  // module_legacy.pt (74 KB, a pickled nn.Module) cut to its first 8 KB: the truncation paths
  return [...LEGACY.map((f) => fixture(`pickle/${f}`)), fixture('pickle/module_legacy.pt').subarray(0, 8192)];
}

export const dictionary = [...PICKLE_DICT, '\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19', 'M\xe9\x03', 'protocol_version', 'little_endian', 'type_sizes'];
export const maxLen = 12 * 1024;
