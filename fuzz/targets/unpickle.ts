// The restricted unpickler on raw pickle bytes (what data.pkl holds): protocols 0-5, the allow-list,
// persistent storage ids, then the state-dict selection convert and inspect apply to the result.
import { unpickleTorch } from '../../src/io/pickle/torch_file.js';
import { selectTensors } from '../../src/io/pickle/state_dict.js';
import { readZipDirectory } from '../../src/io/zip.js';
import fs from 'node:fs/promises';
import { PICKLE_DICT, ROOT, fixture } from './common.js';
import path from 'node:path';

export function fuzz(data: Buffer): void {
  const { value } = unpickleTorch('data.pkl', data);
  selectTensors('data.pkl', value);
}

const PROTOS = ['proto0.pkl', 'proto1.pkl', 'proto2.pkl', 'proto3.pkl', 'proto4.pkl', 'proto5.pkl'];

/** data.pkl of each small zip fixture (entries are stored, so its bytes lie in the file as they are). */
async function dataPickles(): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const f of ['state.pt', 'training.pt', 'two_sets.pt', 'subclass.pt', 'mlp_module.pt', 'lightning.ckpt', 'attack_os_system.pt', 'attack_popen.pt', 'attack_eval.pt', 'attack_getattr.pt', 'bad_stride.pt']) {
    const file = path.join(ROOT, 'test/fixtures/pickle', f);
    const fh = await fs.open(file, 'r');
    try {
      const dir = await readZipDirectory(fh, file);
      const e = [...dir.entries.values()].find((x) => x.name.endsWith('data.pkl'))!;
      const bytes = fixture(`pickle/${f}`);
      const nameLen = bytes.readUInt16LE(e.localOffset + 26);
      const extraLen = bytes.readUInt16LE(e.localOffset + 28);
      const start = e.localOffset + 30 + nameLen + extraLen;
      out.push(bytes.subarray(start, start + e.size));
    } finally {
      await fh.close();
    }
  }
  return out;
}

const zipPickles = await dataPickles();

export function seeds(): Buffer[] {
  return [...PROTOS.map((f) => fixture(`pickle/${f}`)), ...zipPickles];
}

export const dictionary = PICKLE_DICT;
export const maxLen = 8192;
