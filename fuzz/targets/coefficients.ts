// `--coefficients c.json --models a b`: matrixFromFile, as basis_args.ts calls it.
import fs from 'node:fs';
import path from 'node:path';
import { matrixFromFile } from '../../src/sweep/coefficients.js';
import { JSON_DICT, scratch } from './common.js';

const file = path.join(scratch('coefficients'), 'c.json');

export function fuzz(data: Buffer): void {
  fs.writeFileSync(file, data);
  matrixFromFile(file, ['a.safetensors', 'b.safetensors']);
}

export function seeds(): Buffer[] {
  return [Buffer.from('[[0.5, 0.5], [1, 0], [0, 1]]'), Buffer.from('{"coefficients": [[1.5, -0.5]]}'), Buffer.from('[[1e-300, 1e300]]')];
}

export const dictionary = JSON_DICT;
export const maxLen = 2048;
