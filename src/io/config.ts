// config.json beside a checkpoint (or an explicit path), read as a strict JSON object. What its keys
// mean is the model families' business (src/models/config.ts).
import fs from 'node:fs/promises';
import path from 'node:path';
import { fsReason } from './fs_errors.js';
import { parseJsonObject } from './json_strict.js';

/** `configPath`, or config.json in the checkpoint's folder, parsed; null when that default is absent. */
export async function readConfigJson(checkpointPath: string, configPath?: string): Promise<{ file: string; raw: Record<string, unknown> } | null> {
  let file = configPath;
  if (file === undefined) {
    const isDir = await fs.stat(checkpointPath).then((s) => s.isDirectory(), () => false);
    file = path.join(isDir ? checkpointPath : path.dirname(checkpointPath), 'config.json');
  }
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && configPath === undefined) return null;
    throw new Error(`${file}: cannot read model config (${fsReason(e)})`);
  }
  return { file, raw: parseJsonObject(file, text, 'model config') };
}
