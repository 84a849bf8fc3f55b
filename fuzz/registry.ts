// The fuzz targets: every file in fuzz/targets/ but common.ts is one, named by its file.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FuzzTarget } from './engine.js';

const TARGETS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'targets');

export function targetNames(): string[] {
  return fs.readdirSync(TARGETS_DIR).filter((f) => f.endsWith('.js') && f !== 'common.js').map((f) => f.slice(0, -3)).sort();
}

export async function loadTarget(name: string): Promise<FuzzTarget> {
  const m = (await import(pathToFileURL(path.join(TARGETS_DIR, `${name}.js`)).href)) as FuzzTarget;
  if (typeof m.fuzz !== 'function' || typeof m.seeds !== 'function') throw new Error(`fuzz target ${name}: must export fuzz(data) and seeds()`);
  return { fuzz: m.fuzz, seeds: m.seeds, dictionary: m.dictionary, maxLen: m.maxLen };
}
