// An HF model folder written atomically: every file goes into `<dir>.tmp-<pid>-<rand>/`, which is
// renamed to `<dir>` on commit (the folder appears complete or not at all). Tensors go to
// model.safetensors, or to model-0000K-of-0000N.safetensors + model.safetensors.index.json
// ({metadata: {total_size}, weight_map}) when they exceed the shard size. Tensors are declared up
// front (shard layout and headers are fixed), then written once each as raw little-endian bytes.
// The layout is a function of the tensors and the shard size alone (shardLayout), so a merge split
// over machines can write some of the files (`only`) exactly as the whole merge would write them.
import fs from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { tempPathFor } from './atomic.js';
import { fsReason } from './fs_errors.js';
import { DTYPE_SIZE, byName, checkedProduct } from './safetensors.js';
import type { TensorInfo } from './types.js';
import { shapeStr } from '../tensor.js';

export interface ShardedWriterOptions {
  /** Largest data bytes per shard (a larger tensor gets a shard of its own). Default 5 GB. */
  shardBytes?: number;
  metadata?: Record<string, string>;
  /** Write only these files of the layout (one part of a merge run on several machines): the
   *  other files' tensors are not declared, and no index is written. */
  only?: readonly string[];
  /** An existing folder at the target is replaced on commit (a part run again). */
  replace?: boolean;
}

/** One file of a layout: its name, tensors in file order, header bytes and whole size. */
export interface ShardFile {
  name: string;
  tensors: TensorInfo[];
  header: Uint8Array;
  /** Header + data bytes: the file's size. */
  size: number;
  /** Data bytes. */
  bytes: number;
}

interface Slot { shard: number; position: number; bytes: number; info: TensorInfo }
interface Shard { name: string; header: Uint8Array; tensors: TensorInfo[]; fh?: FileHandle }

/** "5GB", "500MB", "1.5GiB", or a byte count → bytes. */
export function parseSize(s: string | number, what = '--shard-size'): number {
  if (typeof s === 'number') return s;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(i?)B?\s*$/i.exec(s);
  if (!m) throw new Error(`${what}: expected a size like 5GB, 500MB or 1000000, got '${s}'`);
  const pow = ' KMGT'.indexOf(m[2].toUpperCase() || ' ');
  const v = Math.floor(Number(m[1]) * (m[3] ? 1024 : 1000) ** pow);
  if (!(v > 0)) throw new Error(`${what}: must be positive, got '${s}'`);
  return v;
}

function header(tensors: TensorInfo[], metadata: Record<string, string>): { bytes: Uint8Array; offsets: number[] } {
  const json: Record<string, unknown> = Object.keys(metadata).length ? { __metadata__: metadata } : {};
  const offsets: number[] = [];
  let off = 0;
  for (const t of tensors) {
    const n = checkedProduct([...t.shape, DTYPE_SIZE[t.dtype]]);
    if (n === undefined) throw new Error(`tensor "${t.name}": shape ${shapeStr(t.shape)} too large`);
    json[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + n] };
    offsets.push(off);
    off += n;
  }
  const text = new TextEncoder().encode(JSON.stringify(json));
  const n = Math.ceil((8 + text.length) / 8) * 8 - 8;
  const bytes = new Uint8Array(8 + n).fill(0x20, 8 + text.length);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(n), true);
  bytes.set(text, 8);
  return { bytes, offsets };
}

export const INDEX_FILE = 'model.safetensors.index.json';

const tensorBytes = (t: TensorInfo): number => checkedProduct([...t.shape, DTYPE_SIZE[t.dtype]]) ?? Infinity;

/** The files of an HF folder holding `infos`: tensors sorted by name, a new file whenever the next
 *  tensor would take the current one past `shardBytes` (a larger tensor gets a file of its own);
 *  model.safetensors when one file, model-0000K-of-0000N.safetensors otherwise. */
export function shardLayout(infos: readonly TensorInfo[], shardBytes: number, metadata: Record<string, string> = {}): { files: ShardFile[]; totalSize: number } {
  const sorted = [...infos].sort(byName);
  const groups: TensorInfo[][] = [[]];
  let size = 0;
  let total = 0;
  const names = new Set<string>();
  for (const t of sorted) {
    if (names.has(t.name)) throw new Error(`tensor "${t.name}" declared twice`);
    names.add(t.name);
    const b = tensorBytes(t);
    if (size > 0 && size + b > shardBytes) {
      groups.push([]);
      size = 0;
    }
    groups[groups.length - 1].push(t);
    size += b;
    total += b;
  }
  const N = groups.length;
  const pad = (k: number) => String(k).padStart(5, '0');
  const files = groups.map((tensors, k) => {
    const h = header(tensors, metadata);
    const bytes = tensors.reduce((s, t) => s + tensorBytes(t), 0);
    return { name: N === 1 ? 'model.safetensors' : `model-${pad(k + 1)}-of-${pad(N)}.safetensors`, tensors, header: h.bytes, size: h.bytes.length + bytes, bytes };
  });
  return { files, totalSize: total };
}

/** model.safetensors.index.json of the files (in their order): metadata.total_size and weight_map. */
export function indexJson(files: readonly { name: string; tensors: readonly { name: string }[] }[], totalSize: number): string {
  const weight_map: Record<string, string> = {};
  for (const f of files) for (const t of f.tensors) weight_map[t.name] = f.name;
  return JSON.stringify({ metadata: { total_size: totalSize }, weight_map }, null, 2) + '\n';
}

export class ShardedWriter {
  private readonly written = new Set<string>();
  private readonly extra: string[] = [];
  private state: 'open' | 'committed' | 'aborted' = 'open';

  private constructor(readonly dir: string, readonly tmp: string, private readonly shards: Shard[], private readonly slots: Map<string, Slot>,
    private readonly totalSize: number, private readonly index: 'index' | 'none' | 'never', private readonly replace: boolean) {}

  /** Lays out the shards and creates the temporary folder with every shard's header. */
  static async create(dir: string, infos: readonly TensorInfo[], opts: ShardedWriterOptions = {}): Promise<ShardedWriter> {
    let layout: ReturnType<typeof shardLayout>;
    try {
      layout = shardLayout(infos, opts.shardBytes ?? 5e9, opts.metadata ?? {});
    } catch (e) {
      throw new Error(`${dir}: ${(e as Error).message}`);
    }
    const only = opts.only && new Set(opts.only);
    for (const f of only ?? []) if (!layout.files.some((x) => x.name === f)) throw new Error(`${dir}: no file '${f}' in the layout`);
    const slots = new Map<string, Slot>();
    const shards: Shard[] = layout.files.filter((f) => !only || only.has(f.name)).map((f, k) => {
      let position = f.header.length;
      for (const t of f.tensors) {
        const bytes = tensorBytes(t);
        slots.set(t.name, { shard: k, position, bytes, info: t });
        position += bytes;
      }
      return { name: f.name, header: f.header, tensors: f.tensors };
    });
    const exists = await fs.readdir(dir).then((e) => e.length > 0, () => false);
    if (exists && !opts.replace) throw new Error(`${dir}: output folder exists and is not empty (choose a new folder)`);
    const tmp = tempPathFor(dir);
    await fs.mkdir(tmp).catch((e: unknown) => { throw new Error(`${dir}: cannot create the output folder (${fsReason(e)})`); });
    const w = new ShardedWriter(dir, tmp, shards, slots, layout.totalSize, only ? 'never' : layout.files.length > 1 ? 'index' : 'none', opts.replace ?? false);
    try {
      for (const s of shards) {
        s.fh = await fs.open(path.join(tmp, s.name), 'wx');
        await w.put(s.fh, s.header, 0);
      }
    } catch (e) {
      await w.abort();
      throw e;
    }
    return w;
  }

  /** The declared tensors, in file order. */
  get tensors(): TensorInfo[] { return this.shards.flatMap((s) => s.tensors); }

  /** Writes one declared tensor's bytes (exactly its size, in its declared dtype). */
  async writeBytes(name: string, bytes: Uint8Array): Promise<void> {
    this.check();
    const slot = this.slots.get(name);
    if (!slot) throw new Error(`${this.dir}: tensor "${name}" was not declared`);
    if (this.written.has(name)) throw new Error(`${this.dir}: tensor "${name}" written twice`);
    if (bytes.byteLength !== slot.bytes) throw new Error(`${this.dir}: tensor "${name}" needs ${slot.bytes} bytes (${slot.info.dtype} ${shapeStr(slot.info.shape)}), got ${bytes.byteLength}`);
    this.written.add(name);
    await this.put(this.shards[slot.shard].fh!, bytes, slot.position);
  }

  /** Adds a whole file (config.json, tokenizer files, …) to the folder. */
  async addFile(name: string, data: string | Uint8Array): Promise<void> {
    this.check();
    if (name.includes('/') || name.includes('\\') || name.startsWith('.')) throw new Error(`${this.dir}: bad file name '${name}'`);
    await fs.writeFile(path.join(this.tmp, name), data, { flag: 'wx' });
    this.extra.push(name);
  }

  /** Closes the shards, writes the index (when sharded) and renames the folder into place. Returns the file names. */
  async commit(): Promise<string[]> {
    this.check();
    const missing = [...this.slots.keys()].filter((n) => !this.written.has(n));
    try {
      if (missing.length) throw new Error(`${this.dir}: ${missing.length} declared tensors never written (first: "${missing[0]}")`);
      // no fsync: the rename makes the folder appear whole to other processes; a power loss may
      // still lose recently written pages, as with any unsynced write
      for (const s of this.shards) {
        await s.fh!.close();
        s.fh = undefined;
      }
      const files = this.shards.map((s) => s.name);
      if (this.index === 'index') {
        await fs.writeFile(path.join(this.tmp, INDEX_FILE), indexJson(this.shards, this.totalSize));
        files.push(INDEX_FILE);
      }
      if (this.replace) await fs.rm(this.dir, { recursive: true, force: true });
      else await fs.rmdir(this.dir).catch(() => undefined); // an empty folder at the target is replaced
      await fs.rename(this.tmp, this.dir).catch((e: unknown) => { throw new Error(`${this.dir}: cannot move the finished folder into place (${fsReason(e)})`); });
      this.state = 'committed';
      return [...files, ...this.extra].sort();
    } catch (e) {
      await this.abort();
      throw e;
    }
  }

  /** Removes the temporary folder; the target is untouched. Safe to call twice. */
  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    for (const s of this.shards) await s.fh?.close().catch(() => undefined);
    await fs.rm(this.tmp, { recursive: true, force: true });
  }

  private check(): void {
    if (this.state !== 'open') throw new Error(`${this.dir}: writer already ${this.state}`);
  }

  private async put(fh: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
    let done = 0;
    while (done < bytes.byteLength) {
      const { bytesWritten } = await fh.write(bytes, done, Math.min(bytes.byteLength - done, 1 << 30), position + done);
      done += bytesWritten;
    }
  }
}
