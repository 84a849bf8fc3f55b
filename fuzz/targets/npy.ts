// `ctlkit sweep --inputs x.npy` / `features --inputs x.npy`: readInputs on a .npy file.
import fs from 'node:fs';
import path from 'node:path';
import { readInputs } from '../../src/io/inputs.js';
import { fixture, scratch } from './common.js';

const file = path.join(scratch('npy'), 'inputs.npy');

export async function fuzz(data: Buffer): Promise<void> {
  fs.writeFileSync(file, data);
  await readInputs(file);
}

export function seeds(): Buffer[] {
  return [fixture('io/f4_2x3.npy'), fixture('io/f8_fortran.npy'), fixture('io/i8_v2.npy')];
}

export const dictionary = ["'descr'", "'fortran_order'", "'shape'", "'<f4'", "'<f2'", "'<i8'", "'|b1'", "'>f4'", 'True', 'False', '(', ')', ',', '\x93NUMPY', '\x01\x00', '\x02\x00', '\x03\x00'];
export const maxLen = 4096;
