// safetensors format: [u64 LE header length n][n bytes of JSON header][data section].
// Validation follows the reference Rust crate: every rule is checked from the header alone, before
// any tensor data is read, and each error names the file and the tensor or field at fault.
import type { FileHandle } from 'node:fs/promises';
import { shapeStr, type Tensor } from '../tensor.js';
import type { StDType, TensorInfo } from './types.js';
import { parseJsonObject } from './json_strict.js';
import { bf16ToFloat32, f16ToFloat32 } from './half.js';
import { constants as bufferConstants } from 'node:buffer';
import { quoteName, showValue } from '../util/escape.js';

/** Largest header ctlkit accepts (the Rust crate's limit). */
export const MAX_HEADER_BYTES = 100_000_000;
/** Most tensors in one checkpoint (a 70B-parameter model has ~1,000; a header of 100 MB could
 *  claim ~2 million). */
export const MAX_TENSORS = 200_000;
/** Longest tensor name (real ones are under 200 characters). */
export const MAX_NAME_CHARS = 4096;
/** Most dims of one tensor (PyTorch allows 64). */
export const MAX_RANK = 64;
/** Largest tensor ctlkit allocates in one piece: Node's Buffer limit. */
export const MAX_TENSOR_BYTES = bufferConstants.MAX_LENGTH;

/** Bytes per element of each safetensors dtype. */
export const DTYPE_SIZE: Readonly<Record<StDType, number>> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, U8: 1, BOOL: 1,
};

/** A tensor's header entry; `begin`/`end` are byte offsets into the data section. */
export interface StEntry extends TensorInfo {
  begin: number;
  end: number;
}

export interface StHeader {
  file: string;
  /** Absolute file offset where the data section starts (8 + header length). */
  dataStart: number;
  /** Entries sorted by name. */
  entries: Map<string, StEntry>;
  metadata: Record<string, string>;
}

export function isStDType(s: unknown): s is StDType {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_SIZE, s);
}

/** Product of `dims`, or undefined when it exceeds 2^53 − 1. */
export function checkedProduct(dims: readonly number[]): number | undefined {
  let n = 1;
  for (const d of dims) {
    n *= d;
    if (!Number.isSafeInteger(n)) return undefined;
  }
  return n;
}

/** Orders tensors (or header entries) by name, the order ctlkit lists and writes them in. */
export const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

const isIndex = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Parses and validates header text against a data section of `dataBytes` bytes. */
export function validateHeader(file: string, text: string, dataStart: number, dataBytes: number): StHeader {
  const json = parseJsonObject(file, text, 'safetensors header');
  const count = Object.keys(json).length;
  if (count > MAX_TENSORS + 1) throw new Error(`${file}: header lists ${count} entries, over the limit of ${MAX_TENSORS} tensors`);
  const metadata: Record<string, string> = {};
  const entries: StEntry[] = [];
  for (const [name, raw] of Object.entries(json)) {
    if (name === '__metadata__') {
      if (raw === null) continue;
      if (typeof raw !== 'object' || Array.isArray(raw)) {
        throw new Error(`${file}: __metadata__ must be an object of string values`);
      }
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') throw new Error(`${file}: __metadata__[${quoteName(k)}] must be a string, got ${showValue(v)}`);
        metadata[k] = v;
      }
      continue;
    }
    entries.push(parseEntry(file, name, raw));
  }
  // Offsets: sorted by position they must tile [0, dataBytes) with no hole and no overlap.
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const e of byOffset) {
    if (e.begin !== expected) {
      const what = e.begin > expected ? 'a hole before it' : 'it overlaps the previous tensor';
      throw new Error(`${file}: tensor ${quoteName(e.name)} starts at data offset ${e.begin}, expected ${expected} (${what})`);
    }
    expected = e.end;
  }
  if (expected !== dataBytes) {
    const what = expected < dataBytes ? `${dataBytes - expected} trailing bytes after the last tensor` : `file truncated: tensors need ${expected} data bytes`;
    throw new Error(`${file}: data section has ${dataBytes} bytes but the header describes ${expected} (${what})`);
  }
  entries.sort(byName);
  return { file, dataStart, entries: new Map(entries.map((e) => [e.name, e])), metadata };
}

function parseEntry(file: string, name: string, raw: unknown): StEntry {
  const at = `${file}: tensor ${quoteName(name)}`;
  if (name.length > MAX_NAME_CHARS) throw new Error(`${at}: name is ${name.length} characters, over the limit of ${MAX_NAME_CHARS}`);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new Error(`${at}: header entry must be an object {dtype, shape, data_offsets}`);
  }
  const { dtype, shape, data_offsets: offsets, ...extra } = raw as Record<string, unknown>;
  const unknownKeys = Object.keys(extra);
  if (unknownKeys.length) throw new Error(`${at}: unexpected field ${quoteName(unknownKeys[0])} (expected dtype, shape, data_offsets)`);
  if (!isStDType(dtype)) {
    throw new Error(`${at}: unsupported dtype ${showValue(dtype)} (expected one of ${Object.keys(DTYPE_SIZE).join(', ')})`);
  }
  if (!Array.isArray(shape) || !shape.every(isIndex)) {
    throw new Error(`${at}: shape must be an array of non-negative integers, got ${showValue(shape)}`);
  }
  if (shape.length > MAX_RANK) throw new Error(`${at}: shape has ${shape.length} dims, over the limit of ${MAX_RANK}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex)) {
    throw new Error(`${at}: data_offsets must be [begin, end] non-negative integers, got ${showValue(offsets)}`);
  }
  const [begin, end] = offsets as number[];
  if (end < begin) throw new Error(`${at}: data_offsets [${begin}, ${end}] end before begin`);
  const n = checkedProduct(shape);
  const bytes = n === undefined ? undefined : checkedProduct([n, DTYPE_SIZE[dtype]]);
  if (bytes === undefined) throw new Error(`${at}: shape ${shapeStr(shape)} has too many elements (overflow)`);
  if (end - begin !== bytes) {
    throw new Error(`${at}: data_offsets [${begin}, ${end}] span ${end - begin} bytes, but ${dtype} ${shapeStr(shape)} needs ${bytes}`);
  }
  return { name, dtype, shape: [...shape], begin, end };
}

/** Fills `buf` with the bytes at `position` (positioned reads; short reads are continued). */
async function readInto(fh: FileHandle, file: string, position: number, buf: Uint8Array): Promise<Uint8Array> {
  const length = buf.length;
  let done = 0;
  while (done < length) {
    const chunk = Math.min(length - done, 1 << 30);
    const { bytesRead } = await fh.read(buf, done, chunk, position + done);
    if (bytesRead === 0) throw new Error(`${file}: unexpected end of file at byte ${position + done} (wanted ${length} bytes from ${position})`);
    done += bytesRead;
  }
  return buf;
}

/** Reads exactly `length` bytes at `position` into a fresh (hence aligned) buffer. Callers have
 *  checked `length` against the file's real size; the allocation itself may still fail. */
export function readExactly(fh: FileHandle, file: string, position: number, length: number): Promise<Uint8Array> {
  return readInto(fh, file, position, allocate(file, length));
}

/** A zeroed buffer of `length` bytes, or an error naming the file when it cannot be had. */
function allocate(file: string, length: number): Uint8Array {
  if (length > MAX_TENSOR_BYTES) throw new Error(`${file}: cannot read ${length} bytes in one piece (the limit is ${MAX_TENSOR_BYTES})`);
  try {
    return new Uint8Array(length);
  } catch (e) {
    throw new Error(`${file}: cannot allocate ${length} bytes (${(e as Error).message})`);
  }
}

/** Reads and validates the header of an open safetensors file. Reads no tensor data. */
export async function readHeader(fh: FileHandle, file: string): Promise<StHeader> {
  const { size } = await fh.stat();
  if (size < 8) throw new Error(`${file}: not a safetensors file (${size} bytes, the 8-byte header length is missing)`);
  const lenBytes = await readExactly(fh, file, 0, 8);
  const n = new DataView(lenBytes.buffer).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) throw new Error(`${file}: header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit (not a safetensors file?)`);
  const headerLen = Number(n);
  if (8 + headerLen > size) throw new Error(`${file}: header length ${headerLen} runs past the end of the ${size}-byte file (truncated, or not a safetensors file?)`);
  const headerBytes = await readExactly(fh, file, 8, headerLen);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    throw new Error(`${file}: safetensors header is not valid UTF-8`);
  }
  return validateHeader(file, text, 8 + headerLen, size - 8 - headerLen);
}

/** Turns one tensor's raw little-endian bytes (a fresh buffer of exactly its size) into a Tensor. */
export function decodeTensor(entry: TensorInfo, bytes: Uint8Array): Tensor {
  const n = bytes.byteLength / DTYPE_SIZE[entry.dtype];
  const shape = [...entry.shape];
  switch (entry.dtype) {
    case 'F32':
      return { dtype: 'float32', shape, data: new Float32Array(ownBuffer(bytes), 0, n) };
    case 'F64':
      return { dtype: 'float32', shape, data: Float32Array.from(new Float64Array(ownBuffer(bytes), 0, n)) };
    case 'F16':
      return { dtype: 'float32', shape, data: f16ToFloat32(new Uint16Array(ownBuffer(bytes), 0, n)) };
    case 'BF16':
      return { dtype: 'float32', shape, data: bf16ToFloat32(new Uint16Array(ownBuffer(bytes), 0, n)) };
    case 'I64':
      return { dtype: 'int64', shape, data: new BigInt64Array(ownBuffer(bytes), 0, n) };
    case 'I32':
      return { dtype: 'int32', shape, data: new Int32Array(ownBuffer(bytes), 0, n) };
    case 'U8':
    case 'BOOL':
      return { dtype: entry.dtype === 'U8' ? 'uint8' : 'bool', shape, data: bytes };
  }
}

/** The bytes' own buffer when they fill it (offset 0 is aligned for every type), else an aligned copy. */
function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  return (whole ? bytes.buffer : bytes.slice().buffer) as ArrayBuffer;
}

/** Source bytes converted per step when a stored F16/BF16/F64 tensor is widened to float32. */
export const CONVERT_CHUNK_BYTES = 1 << 24;

/** Reads one tensor of an opened file with positioned reads of exactly its bytes. F32 and integer
 *  tensors are read straight into their result; F16/BF16/F64 ones larger than `chunkBytes` are read
 *  and converted a chunk at a time, so the peak memory is the float32 result plus one chunk. */
export async function readTensor(fh: FileHandle, header: StHeader, entry: StEntry, chunkBytes = CONVERT_CHUNK_BYTES): Promise<Tensor> {
  const position = header.dataStart + entry.begin;
  const length = entry.end - entry.begin;
  const size = DTYPE_SIZE[entry.dtype];
  const widened = entry.dtype === 'F16' || entry.dtype === 'BF16' || entry.dtype === 'F64';
  if (!widened || length <= chunkBytes) return decodeTensor(entry, await readExactly(fh, header.file, position, length));
  const n = length / size;
  if (n * 4 > MAX_TENSOR_BYTES) throw new Error(`${header.file}: tensor ${quoteName(entry.name)} needs ${n * 4} bytes as float32, over the ${MAX_TENSOR_BYTES}-byte limit`);
  let out: Float32Array<ArrayBuffer>;
  try {
    out = new Float32Array(n);
  } catch (e) {
    throw new Error(`${header.file}: tensor ${quoteName(entry.name)}: cannot allocate ${n * 4} bytes (${(e as Error).message})`);
  }
  const step = Math.max(1, Math.floor(chunkBytes / size));
  const buf = new Uint8Array(step * size);
  for (let i = 0; i < n; i += step) {
    const m = Math.min(step, n - i);
    await readInto(fh, header.file, position + i * size, buf.subarray(0, m * size));
    if (entry.dtype === 'F16') f16ToFloat32(new Uint16Array(buf.buffer, 0, m), out, i);
    else if (entry.dtype === 'BF16') bf16ToFloat32(new Uint16Array(buf.buffer, 0, m), out, i);
    else out.set(new Float64Array(buf.buffer, 0, m), i);
  }
  return { dtype: 'float32', shape: [...entry.shape], data: out };
}

