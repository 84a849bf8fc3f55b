// NumPy .npy files: magic "\x93NUMPY", version (1|2|3).minor, header length (u16 for v1, u32 for
// v2/v3), a Python dict literal {'descr', 'fortran_order', 'shape'}, then the raw C-order data.
import fs from 'node:fs/promises';
import { DTYPE_SIZE, checkedProduct, decodeTensor } from './safetensors.js';
import type { StDType } from './types.js';
import type { Tensor } from '../tensor.js';

/** npy descr → the safetensors dtype with the same byte layout. */
const DESCR: Readonly<Record<string, StDType>> = {
  '<f4': 'F32', '<f8': 'F64', '<f2': 'F16', '<i8': 'I64', '<i4': 'I32', '|u1': 'U8', '|b1': 'BOOL',
};

export async function readNpy(file: string): Promise<Tensor> {
  const buf = new Uint8Array(await fs.readFile(file));
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
  if (buf.length < 10 || magic.some((b, i) => buf[i] !== b)) throw new Error(`${file}: not a .npy file (bad magic)`);
  const major = buf[6];
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (major < 1 || major > 3) throw new Error(`${file}: unsupported .npy version ${major}.${buf[7]} (expected 1, 2 or 3)`);
  const lenBytes = major === 1 ? 2 : 4;
  if (buf.length < 8 + lenBytes) throw new Error(`${file}: .npy header truncated`);
  const headerLen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const dataStart = 8 + lenBytes + headerLen;
  if (dataStart > buf.length) throw new Error(`${file}: .npy header length ${headerLen} runs past the end of the file`);
  let header: string;
  try {
    header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1', { fatal: true }).decode(buf.subarray(8 + lenBytes, dataStart));
  } catch {
    throw new Error(`${file}: .npy header is not valid text`);
  }
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!header.trimStart().startsWith('{') || descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new Error(`${file}: .npy header must be a dict with 'descr', 'fortran_order' and 'shape', got ${JSON.stringify(header.trim())}`);
  }
  const dtype = DESCR[descr];
  if (!dtype) throw new Error(`${file}: unsupported .npy dtype '${descr}' (expected one of ${Object.keys(DESCR).map((d) => `'${d}'`).join(', ')})`);
  if (fortran === 'True') throw new Error(`${file}: .npy array is in Fortran order; save it C-contiguous (numpy.ascontiguousarray)`);
  const dims = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (!dims.every((d) => /^\d+$/.test(d))) throw new Error(`${file}: .npy shape (${shapeText}) must be non-negative integers`);
  const shape = dims.map(Number);
  const need = checkedProduct([...shape, DTYPE_SIZE[dtype]]);
  const have = buf.length - dataStart;
  if (need !== have) {
    throw new Error(`${file}: .npy data has ${have} bytes but shape (${shape.join(', ')}) of '${descr}' needs ${need ?? 'too many'}`);
  }
  return decodeTensor({ name: file, dtype, shape }, buf.slice(dataStart));
}
