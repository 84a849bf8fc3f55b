// NumPy .npy files: magic "\x93NUMPY", version (1|2|3).minor, header length (u16 for v1, u32 for
// v2/v3), a Python dict literal {'descr', 'fortran_order', 'shape'}, then the raw C-order data.
// Read with positioned reads: the header first, then exactly the data bytes (no whole-file slurp).
import fs from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { DTYPE_SIZE, MAX_RANK, checkedProduct, decodeTensor, readExactly } from './safetensors.js';
import { displayName, showValue } from '../util/escape.js';
import { fsReason } from './fs_errors.js';
import type { StDType } from './types.js';
import type { Tensor } from '../tensor.js';

/** Longest .npy header ctlkit reads (numpy's own reader refuses more than 10,000 bytes by default). */
export const MAX_NPY_HEADER_BYTES = 65_536;

/** npy descr → the safetensors dtype with the same byte layout. */
const DESCR: Readonly<Record<string, StDType>> = {
  '<f4': 'F32', '<f8': 'F64', '<f2': 'F16', '<i8': 'I64', '<i4': 'I32', '|u1': 'U8', '|b1': 'BOOL',
};

export async function readNpy(file: string): Promise<Tensor> {
  const fh = await fs.open(file, 'r').catch((e: unknown) => {
    throw new Error(`${file}: cannot read .npy file (${fsReason(e)})`);
  });
  try {
    return await readOpenNpy(fh, file);
  } finally {
    await fh.close();
  }
}

/** Reads the preamble and header, then the data with one positioned read of exactly its bytes. */
async function readOpenNpy(fh: FileHandle, file: string): Promise<Tensor> {
  const { size } = await fh.stat();
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
  const pre = size < 10 ? new Uint8Array(0) : await readExactly(fh, file, 0, Math.min(size, 12));
  if (pre.length < 10 || magic.some((b, i) => pre[i] !== b)) throw new Error(`${file}: not a .npy file (bad magic)`);
  const major = pre[6];
  if (major < 1 || major > 3) throw new Error(`${file}: unsupported .npy version ${major}.${pre[7]} (expected 1, 2 or 3)`);
  const lenBytes = major === 1 ? 2 : 4;
  if (pre.length < 8 + lenBytes) throw new Error(`${file}: .npy header truncated`);
  const dv = new DataView(pre.buffer);
  const headerLen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  if (headerLen > MAX_NPY_HEADER_BYTES) throw new Error(`${file}: .npy header length ${headerLen} is over the ${MAX_NPY_HEADER_BYTES}-byte limit`);
  const dataStart = 8 + lenBytes + headerLen;
  if (dataStart > size) throw new Error(`${file}: .npy header length ${headerLen} runs past the end of the file`);
  let header: string;
  try {
    header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1', { fatal: true }).decode(await readExactly(fh, file, 8 + lenBytes, headerLen));
  } catch {
    throw new Error(`${file}: .npy header is not valid text`);
  }
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!header.trimStart().startsWith('{') || descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new Error(`${file}: .npy header must be a dict with 'descr', 'fortran_order' and 'shape', got ${showValue(header.trim())}`);
  }
  const dtype = DESCR[descr];
  if (!dtype) throw new Error(`${file}: unsupported .npy dtype '${displayName(descr)}' (expected one of ${Object.keys(DESCR).map((d) => `'${d}'`).join(', ')})`);
  if (fortran === 'True') throw new Error(`${file}: .npy array is in Fortran order; save it C-contiguous (numpy.ascontiguousarray)`);
  const dims = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (!dims.every((d) => /^\d+$/.test(d))) throw new Error(`${file}: .npy shape (${showValue(shapeText)}) must be non-negative integers`);
  if (dims.length > MAX_RANK) throw new Error(`${file}: .npy shape has ${dims.length} dims, over the limit of ${MAX_RANK}`);
  const shape = dims.map(Number);
  if (!shape.every(Number.isSafeInteger)) throw new Error(`${file}: .npy shape (${showValue(shapeText)}) has a dim too large`);
  const need = checkedProduct([...shape, DTYPE_SIZE[dtype]]);
  const have = size - dataStart;
  if (need !== have) {
    throw new Error(`${file}: .npy data has ${have} bytes but shape (${shape.join(', ')}) of '${displayName(descr)}' needs ${need ?? 'too many'}`);
  }
  return decodeTensor({ name: file, dtype, shape }, await readExactly(fh, file, dataStart, have));
}
