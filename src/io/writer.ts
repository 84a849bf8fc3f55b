// safetensors writer. Layout: [u64 LE n][JSON header padded with spaces so the data starts at a
// multiple of 8][tensors sorted by name, back to back]. The file is built under a temporary name
// and renamed on commit; abort or any failure removes it and leaves an existing target untouched.
import fs from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { numel, sameShape, shapeStr, type Tensor } from '../tensor.js';
import type { StDType, TensorInfo } from './types.js';
import { DTYPE_SIZE, byName, checkedProduct, isStDType } from './safetensors.js';
import { float32ToBf16, float32ToF16 } from './half.js';
import { tempPathFor } from './atomic.js';
import { fsReason } from './fs_errors.js';

/** Float dtypes the writer can store float32 tensors as. */
export type FloatOutDType = 'F32' | 'F16' | 'BF16';

export interface WriteOptions {
  metadata?: Record<string, string>;
  /** Storage dtype for float tensors (default F32). Integer tensors keep their own dtype. */
  dtype?: FloatOutDType;
}

const INT_ST_DTYPE = { int64: 'I64', int32: 'I32', uint8: 'U8', bool: 'BOOL' } as const;

/** The safetensors dtype a tensor is stored as. */
export function storageDType(t: Tensor, floatDType: FloatOutDType = 'F32'): StDType {
  return t.dtype === 'float32' ? floatDType : INT_ST_DTYPE[t.dtype];
}

interface Slot {
  info: TensorInfo;
  /** Absolute file offset of the tensor's first byte. */
  position: number;
  bytes: number;
}

/** Streaming writer: declare every tensor up front, write each once (any order), then commit. */
export class SafetensorsWriter {
  private readonly written = new Set<string>();
  private state: 'open' | 'committed' | 'aborted' = 'open';

  private constructor(
    readonly path: string,
    private readonly tmp: string,
    private readonly fh: FileHandle,
    private readonly slots: Map<string, Slot>,
  ) {}

  static async create(path: string, infos: readonly TensorInfo[], metadata?: Record<string, string>): Promise<SafetensorsWriter> {
    const { header, slots } = layout(path, infos, metadata ?? {});
    const tmp = tempPathFor(path);
    const fh = await fs.open(tmp, 'wx').catch((e: unknown) => {
      throw new Error(`${path}: cannot create the output file (${fsReason(e)})`);
    });
    const w = new SafetensorsWriter(path, tmp, fh, slots);
    try {
      await writeAll(fh, header, 0);
    } catch (e) {
      await w.abort();
      throw e;
    }
    return w;
  }

  /** Writes one declared tensor (converted to its declared dtype). Any error aborts the writer. */
  async write(name: string, tensor: Tensor): Promise<void> {
    this.checkOpen(`writing "${name}"`);
    const slot = this.slots.get(name);
    try {
      if (!slot) throw new Error(`${this.path}: tensor "${name}" was not declared when the writer was created`);
      if (this.written.has(name)) throw new Error(`${this.path}: tensor "${name}" written twice`);
      this.written.add(name);
      const bytes = encode(this.path, slot.info, tensor);
      await writeAll(this.fh, bytes, slot.position);
    } catch (e) {
      await this.abort();
      throw e;
    }
  }

  /** Flushes, closes and renames the temporary file onto the target path. */
  async commit(): Promise<void> {
    this.checkOpen('committing');
    try {
      const missing = [...this.slots.keys()].filter((n) => !this.written.has(n));
      if (missing.length) throw new Error(`${this.path}: cannot commit, ${missing.length} tensor(s) never written (first: "${missing[0]}")`);
      await this.fh.sync();
      await this.fh.close();
      await fs.rename(this.tmp, this.path);
      this.state = 'committed';
    } catch (e) {
      await this.abort();
      throw e;
    }
  }

  /** Discards everything written; the target path is left as it was. Safe to call twice. */
  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    await this.fh.close().catch(() => undefined); // may already be closed by a failed commit
    await fs.rm(this.tmp, { force: true });
  }

  private checkOpen(what: string): void {
    if (this.state !== 'open') throw new Error(`${this.path}: writer already ${this.state} (${what})`);
  }
}

/** Writes a whole set of tensors to one safetensors file, atomically. */
export async function writeSafetensors(
  path: string,
  tensors: ReadonlyMap<string, Tensor> | Record<string, Tensor>,
  opts: WriteOptions = {},
): Promise<void> {
  const entries = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  const infos = entries.map(([name, t]) => ({ name, dtype: storageDType(t, opts.dtype), shape: t.shape }));
  const w = await SafetensorsWriter.create(path, infos, opts.metadata);
  for (const [name, t] of entries) await w.write(name, t);
  await w.commit();
}

function layout(path: string, infos: readonly TensorInfo[], metadata: Record<string, string>): { header: Uint8Array; slots: Map<string, Slot> } {
  const json: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new Error(`${path}: metadata "${k}" must be a string, got ${JSON.stringify(v)}`);
  }
  if (Object.keys(metadata).length) json.__metadata__ = metadata;
  const sorted = [...infos].sort(byName);
  const placed: { info: TensorInfo; begin: number; bytes: number }[] = [];
  let offset = 0;
  for (const [i, info] of sorted.entries()) {
    const at = `${path}: tensor "${info.name}"`;
    if (info.name === '' || info.name === '__metadata__') throw new Error(`${at}: reserved or empty tensor name`);
    if (i > 0 && sorted[i - 1].name === info.name) throw new Error(`${at}: declared twice`);
    if (!isStDType(info.dtype)) throw new Error(`${at}: unknown dtype ${JSON.stringify(info.dtype)}`);
    if (!info.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new Error(`${at}: bad shape ${shapeStr(info.shape)}`);
    const bytes = checkedProduct([...info.shape, DTYPE_SIZE[info.dtype]]);
    if (bytes === undefined) throw new Error(`${at}: shape ${shapeStr(info.shape)} is too large`);
    json[info.name] = { dtype: info.dtype, shape: info.shape, data_offsets: [offset, offset + bytes] };
    placed.push({ info: { name: info.name, dtype: info.dtype, shape: [...info.shape] }, begin: offset, bytes });
    offset += bytes;
  }
  const text = new TextEncoder().encode(JSON.stringify(json));
  const n = Math.ceil((8 + text.length) / 8) * 8 - 8;
  const header = new Uint8Array(8 + n).fill(0x20, 8 + text.length);
  new DataView(header.buffer).setBigUint64(0, BigInt(n), true);
  header.set(text, 8);
  const slots = new Map(placed.map((p) => [p.info.name, { info: p.info, position: 8 + n + p.begin, bytes: p.bytes }]));
  return { header, slots };
}

/** The tensor's bytes in the declared dtype; the tensor must match the declared shape and kind. */
function encode(path: string, info: TensorInfo, t: Tensor): Uint8Array {
  const at = `${path}: tensor "${info.name}"`;
  if (!sameShape(t.shape, info.shape)) {
    throw new Error(`${at}: shape ${shapeStr(t.shape)} differs from the declared ${shapeStr(info.shape)}`);
  }
  if (t.data.length !== numel(t.shape)) throw new Error(`${at}: has ${t.data.length} values, shape ${shapeStr(t.shape)} needs ${numel(t.shape)}`);
  const view = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  if (t.dtype === 'float32') {
    switch (info.dtype) {
      case 'F32': return view(t.data);
      case 'F16': return view(float32ToF16(t.data));
      case 'BF16': return view(float32ToBf16(t.data));
      case 'F64': return view(Float64Array.from(t.data));
    }
  } else if (INT_ST_DTYPE[t.dtype] === info.dtype) {
    return view(t.data);
  }
  throw new Error(`${at}: a ${t.dtype} tensor cannot be stored as ${info.dtype}`);
}

async function writeAll(fh: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await fh.write(bytes, done, Math.min(bytes.length - done, 1 << 30), position + done);
    done += bytesWritten;
  }
}
