// Checkpoint inputs of a merge: headers validated by io/checkpoint.ts, then each tensor's raw bytes
// located (shard file, offset) for positioned reads into caller-owned buffers.
import fs from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { openCheckpoint } from '../io/checkpoint.js';
import { readHeader, decodeTensor, DTYPE_SIZE } from '../io/safetensors.js';
import type { TensorInfo } from '../io/types.js';
import type { Tensor } from '../tensor.js';

export interface RawTensor extends TensorInfo {
  fh: FileHandle;
  file: string;
  position: number;
  bytes: number;
}

export interface Source {
  path: string;
  /** The folder holding config.json / tokenizer files, when the checkpoint is in one. */
  dir: string;
  tensors: ReadonlyMap<string, RawTensor>;
  readRaw(name: string, into?: Uint8Array): Promise<Uint8Array>;
  /** Floats as float32 (F16/BF16/F64 widened), integers as they are. */
  read(name: string): Promise<Tensor>;
  close(): Promise<void>;
}

async function shardFiles(p: string): Promise<{ files: string[]; dir: string }> {
  const st = await fs.stat(p);
  let file = p;
  if (st.isDirectory()) {
    const single = path.join(p, 'model.safetensors');
    file = await fs.stat(single).then(() => single, () => path.join(p, 'model.safetensors.index.json'));
  }
  const dir = path.dirname(path.resolve(file));
  if (!file.endsWith('.index.json')) return { files: [file], dir };
  const index = JSON.parse(await fs.readFile(file, 'utf8')) as { weight_map: Record<string, string> };
  return { files: [...new Set(Object.values(index.weight_map))].sort().map((s) => path.resolve(dir, s)), dir };
}

/** Opens one checkpoint (file, index or folder): full header validation, no tensor data read. */
export async function openSource(p: string): Promise<Source> {
  const ck = await openCheckpoint(p); // every header and index rule, with its errors
  await ck.close();
  const { files, dir } = await shardFiles(p);
  const handles: FileHandle[] = [];
  const tensors = new Map<string, RawTensor>();
  try {
    for (const file of files) {
      const fh = await fs.open(file, 'r');
      handles.push(fh);
      const h = await readHeader(fh, file);
      for (const e of h.entries.values()) {
        tensors.set(e.name, { name: e.name, dtype: e.dtype, shape: e.shape, fh, file, position: h.dataStart + e.begin, bytes: e.end - e.begin });
      }
    }
  } catch (e) {
    await Promise.all(handles.map((h) => h.close()));
    throw e;
  }
  const sorted = new Map([...tensors].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const get = (name: string): RawTensor => {
    const t = sorted.get(name);
    if (!t) throw new Error(`${p}: no tensor named "${name}"`);
    return t;
  };
  const readRaw = async (name: string, into?: Uint8Array): Promise<Uint8Array> => {
    const t = get(name);
    const buf = into ? into.subarray(0, t.bytes) : new Uint8Array(t.bytes);
    let done = 0;
    while (done < t.bytes) {
      const { bytesRead } = await t.fh.read(buf, done, Math.min(t.bytes - done, 1 << 30), t.position + done);
      if (bytesRead === 0) throw new Error(`${t.file}: unexpected end of file reading tensor "${name}"`);
      done += bytesRead;
    }
    return buf;
  };
  return {
    path: p,
    dir: (await fs.stat(p)).isDirectory() ? p : dir,
    tensors: sorted,
    readRaw,
    read: async (name) => decodeTensor(get(name), await readRaw(name)),
    close: async () => { await Promise.all(handles.map((h) => h.close())); },
  };
}

export const elementSize = (t: TensorInfo): number => DTYPE_SIZE[t.dtype];
