// Outputs are written beside their target under a unique temporary name and renamed into place,
// so a crash or an error never leaves a half-written file at the target path.
import fs from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { fsReason } from './fs_errors.js';

/** `<target>.tmp-<pid>-<random>`: unique per process and call, in the target's own folder. */
export function tempPathFor(target: string): string {
  return `${target}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
}

/** Writes `data` to a temporary file, then renames it over `target`; the temporary file never survives. */
export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempPathFor(target);
  try {
    await fs.writeFile(tmp, data, { flag: 'wx' });
    await fs.rename(tmp, target);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw new Error(`${target}: cannot write (${fsReason(e)})`);
  }
}
