// The two torch.save framings around the pickle, read down to "where is each storage's data":
//  zip (torch ≥ 1.6): <prefix>/data.pkl, <prefix>/data/<key> (stored entries), <prefix>/byteorder;
//  legacy: pickled magic number, protocol 1001, sys info, the object, the sorted storage keys, then
//  each storage as an int64 element count followed by its raw bytes.
// Only the pickles, the zip directory and 8-byte counts are read here; tensor bytes stay on disk.
import type { FileHandle } from 'node:fs/promises';
import { readExactly } from '../safetensors.js';
import { entryDataOffset, readZipDirectory } from '../zip.js';
import { torchHooks } from './allow.js';
import { PickleTruncated, unpickle } from './unpickler.js';
import { PyDict, type StorageRef } from './values.js';
import { quoteName } from '../../util/escape.js';

/** Largest pickle read (the object graph, not the tensors). */
export const MAX_PICKLE_BYTES = 512 * 1024 * 1024;
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

export interface StorageData {
  bytes: number;
  /** Absolute file offset of the storage's first byte (a zip entry's is found on first use). */
  position(): Promise<number>;
}

const known = (at: number): (() => Promise<number>) => () => Promise.resolve(at);

/** Memoised: the entry's local header is read once, when a tensor of it is first read. */
function lazy(f: () => Promise<number>): () => Promise<number> {
  let p: Promise<number> | undefined;
  return () => (p ??= f());
}

export interface TorchFile {
  format: 'torch-zip' | 'torch-legacy';
  root: unknown;
  storages: Map<string, StorageRef>;
  /** Where each storage's bytes lie; a key the pickle names but the file lacks is absent. */
  data: Map<string, StorageData>;
  littleEndian: boolean;
}

/** True when the bytes start like a legacy torch.save file: PROTO 2 then LONG1 of the 10-byte magic
 *  number, or PROTO 4/5 then FRAME. Read as a safetensors header length either is over 100 MB. */
export function looksLikeLegacyTorch(head: Uint8Array): boolean {
  if (head.length < 4 || head[0] !== 0x80) return false;
  return (head[1] === 2 && head[2] === 0x8a && head[3] === 0x0a) || (head[1] >= 4 && head[1] <= 5 && head[2] === 0x95);
}

export async function readTorchZip(fh: FileHandle, file: string): Promise<TorchFile> {
  const dir = await readZipDirectory(fh, file);
  const pkl = [...dir.entries.values()].filter((e) => /^([^/]+\/)?data\.pkl$/.test(e.name));
  if (pkl.length !== 1) throw new Error(`${file}: zip archive ${pkl.length ? 'holds several' : 'holds no'} <archive>/data.pkl (not a torch.save file?)`);
  const prefix = pkl[0].name.slice(0, -'data.pkl'.length);
  if (pkl[0].size > MAX_PICKLE_BYTES) throw new Error(`${file}: data.pkl is ${pkl[0].size} bytes, over the ${MAX_PICKLE_BYTES}-byte limit`);
  const bytes = await readExactly(fh, file, await entryDataOffset(fh, dir, pkl[0]), pkl[0].size);
  const { value, storages } = unpickleTorch(file, bytes);
  let littleEndian = true;
  const order = dir.entries.get(`${prefix}byteorder`);
  if (order) {
    if (order.size > 16) throw new Error(`${file}: byteorder entry of ${order.size} bytes`);
    const text = new TextDecoder().decode(await readExactly(fh, file, await entryDataOffset(fh, dir, order), order.size)).trim();
    if (text !== 'little' && text !== 'big') throw new Error(`${file}: byteorder is ${JSON.stringify(text)}, expected "little" or "big"`);
    littleEndian = text === 'little';
  }
  const data = new Map<string, StorageData>();
  for (const key of storages.keys()) {
    const entry = dir.entries.get(`${prefix}data/${key}`);
    if (entry) data.set(key, { bytes: entry.size, position: lazy(() => entryDataOffset(fh, dir, entry)) });
  }
  return { format: 'torch-zip', root: value, storages, data, littleEndian };
}

/** A torch.save data.pkl run through the restricted unpickler: the object and every storage it names. */
export function unpickleTorch(file: string, bytes: Uint8Array): { value: unknown; storages: Map<string, StorageRef> } {
  const storages = new Map<string, StorageRef>();
  try {
    return { value: runPickle(file, bytes, 0, storages).value, storages };
  } catch (e) {
    if (e instanceof PickleTruncated) throw new Error(`${file}: data.pkl is truncated (${e.message.replace(`${file}: `, '')})`);
    throw e;
  }
}

function runPickle(file: string, bytes: Uint8Array, start: number, storages: Map<string, StorageRef>): { value: unknown; end: number } {
  return unpickle(file, bytes, start, torchHooks(file, storages));
}

export async function readTorchLegacy(fh: FileHandle, file: string, firstWindow = 1 << 18): Promise<TorchFile> {
  const { size } = await fh.stat();
  // The pickles' total length is unknown until their STOP opcodes: read a window, grow it on demand.
  let window = Math.min(size, firstWindow);
  for (;;) {
    const head = await readExactly(fh, file, 0, window);
    try {
      return await parseLegacy(fh, file, head, size);
    } catch (e) {
      if (!(e instanceof PickleTruncated)) throw e;
      if (window >= size) throw new Error(`${file}: truncated legacy torch.save file (${e.message.replace(`${file}: `, '')})`);
      if (window >= MAX_PICKLE_BYTES) throw new Error(`${file}: the legacy pickles exceed the ${MAX_PICKLE_BYTES}-byte limit`);
      window = Math.min(size, window * 4, MAX_PICKLE_BYTES);
    }
  }
}

async function parseLegacy(fh: FileHandle, file: string, head: Uint8Array, size: number): Promise<TorchFile> {
  const storages = new Map<string, StorageRef>();
  const none = new Map<string, StorageRef>();
  const magic = runPickle(file, head, 0, none);
  if (magic.value !== LEGACY_MAGIC) throw new Error(`${file}: not a torch.save file (wrong magic number)`);
  const proto = runPickle(file, head, magic.end, none);
  if (proto.value !== 1001) throw new Error(`${file}: legacy torch.save protocol ${String(proto.value)}, expected 1001`);
  const sys = runPickle(file, head, proto.end, none);
  const littleEndian = !(sys.value instanceof PyDict) || sys.value.get('little_endian') !== false;
  const main = runPickle(file, head, sys.end, storages);
  const keys = runPickle(file, head, main.end, none);
  if (!Array.isArray(keys.value) || !keys.value.every((k) => typeof k === 'string')) throw new Error(`${file}: legacy storage key list is damaged`);
  const list = keys.value as string[];
  const refs = list.map((key) => {
    const ref = storages.get(key);
    if (!ref) throw new Error(`${file}: legacy storage ${quoteName(key)} is listed but never used by the pickle`);
    return ref;
  });
  const data = (await legacyStoragesFast(fh, file, refs, keys.end, size, littleEndian)) ?? (await legacyStoragesWalk(fh, file, refs, keys.end, size, littleEndian));
  return { format: 'torch-legacy', root: main.value, storages, data, littleEndian };
}

/** Each storage is [int64 count][count × element size bytes], back to back. */
async function legacyStoragesWalk(fh: FileHandle, file: string, refs: StorageRef[], start: number, size: number, le: boolean): Promise<Map<string, StorageData>> {
  const data = new Map<string, StorageData>();
  let pos = start;
  for (const ref of refs) {
    if (pos + 8 > size) throw new Error(`${file}: truncated: storage ${quoteName(ref.key)} has no element count at byte ${pos}`);
    const count = new DataView((await readExactly(fh, file, pos, 8)).buffer).getBigInt64(0, le);
    const left = size - pos - 8;
    if (count < 0n || count * BigInt(ref.elementSize) > BigInt(left)) {
      throw new Error(`${file}: storage ${quoteName(ref.key)} claims ${count} elements of ${ref.elementSize} bytes, but only ${left} bytes remain (truncated or damaged)`);
    }
    const bytes = Number(count) * ref.elementSize;
    data.set(ref.key, { bytes, position: known(pos + 8) });
    pos += 8 + bytes;
  }
  return data;
}

/** The layout the pickle's own sizes predict, confirmed by reading every count at once; undefined
 *  when any count differs (then the walk above reads them one by one and names the damage). */
async function legacyStoragesFast(fh: FileHandle, file: string, refs: StorageRef[], start: number, size: number, le: boolean): Promise<Map<string, StorageData> | undefined> {
  const at: number[] = [];
  let pos = start;
  for (const ref of refs) {
    at.push(pos);
    pos += 8 + ref.numel * ref.elementSize;
  }
  if (pos > size) return undefined;
  const counts = await Promise.all(at.map((p) => readExactly(fh, file, p, 8).then((b) => new DataView(b.buffer).getBigInt64(0, le))));
  if (!counts.every((c, i) => c === BigInt(refs[i].numel))) return undefined;
  return new Map(refs.map((ref, i) => [ref.key, { bytes: ref.numel * ref.elementSize, position: known(at[i] + 8) }]));
}
