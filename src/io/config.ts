// config.json beside a checkpoint (or an explicit path), read as a strict JSON object. What its keys
// mean is the model families' business (src/models/config.ts).
import fs from 'node:fs/promises';
import path from 'node:path';
import { fsReason } from './fs_errors.js';
import { parseJsonObject } from './json_strict.js';

/** Largest config.json ctlkit reads (real ones are a few KB). */
export const MAX_CONFIG_BYTES = 16 * 2 ** 20;

/** `configPath`, or config.json in the checkpoint's folder, parsed; null when that default is absent. */
export async function readConfigJson(checkpointPath: string, configPath?: string): Promise<{ file: string; raw: Record<string, unknown> } | null> {
  let file = configPath;
  if (file === undefined) {
    const isDir = await fs.stat(checkpointPath).then((s) => s.isDirectory(), () => false);
    file = path.join(isDir ? checkpointPath : path.dirname(checkpointPath), 'config.json');
  }
  let text: string;
  try {
    const { size } = await fs.stat(file);
    if (size > MAX_CONFIG_BYTES) throw new Error(`${file}: model config is ${size} bytes, over the ${MAX_CONFIG_BYTES}-byte limit`);
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && configPath === undefined) return null;
    if (!(e as NodeJS.ErrnoException).code) throw e;
    throw new Error(`${file}: cannot read model config (${fsReason(e)})`);
  }
  return { file, raw: parseJsonObject(file, text, 'model config') };
}
