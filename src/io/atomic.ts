// Outputs are written beside their target under a temporary name and renamed into place, so a
// crash or an error never leaves a half-written file at the target path. Temporary names have one
// shape, `<target>.tmp-<pid>-<12 hex>`, that is never accepted as an output path; a run that is
// killed leaves its temporary behind, and the next run writing to the same target removes it
// (when the process that made it is gone).
import fs from 'node:fs/promises';
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fsReason } from './fs_errors.js';

const TEMP_SUFFIX = /\.tmp-(\d+)-[0-9a-f]{12}$/;

/** Temporaries this process has made (a stale one with our own pid is a reused pid's). */
const ours = new Set<string>();

/** True for a name of the temporary-file shape. */
export function isTempName(file: string): boolean {
  return TEMP_SUFFIX.test(path.basename(file));
}

/** Fails when `target` has the shape of a temporary name (it would be taken for a stale one). */
export function checkOutputName(target: string): void {
  if (isTempName(target)) {
    throw new Error(`${target}: output names ending in .tmp-<pid>-<hex> are reserved for ctlkit's temporary files; choose another name`);
  }
}

/** True when no process `pid` exists (a permission error means one does). */
function processGone(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Removes `<target>.tmp-<pid>-<hex>` files left by killed runs writing `target`: those of processes
 *  that no longer exist, and those with this process's pid that it did not make. Returns their paths. */
export function removeStaleTemps(target: string): string[] {
  const dir = path.dirname(path.resolve(target));
  const base = path.basename(target);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return []; // a missing folder is reported by the write itself
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(`${base}.tmp-`)) continue;
    const m = TEMP_SUFFIX.exec(name);
    if (!m || name.length !== base.length + m[0].length) continue;
    const full = path.join(dir, name);
    const pid = Number(m[1]);
    if (ours.has(full) || !(pid === process.pid || processGone(pid))) continue;
    try {
      rmSync(full, { recursive: true, force: true }); // a killed folder output's temporary is a folder
      removed.push(full);
    } catch {
      // another run removed it, or it cannot be removed: it does not block this write
    }
  }
  return removed;
}

/** `<target>.tmp-<pid>-<random>`: unique per process and call, in the target's own folder. Checks
 *  the target is not itself a temporary name and removes stale temporaries of the same target. */
export function tempPathFor(target: string): string {
  checkOutputName(target);
  removeStaleTemps(target);
  const tmp = `${target}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  ours.add(path.resolve(tmp));
  return tmp;
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
