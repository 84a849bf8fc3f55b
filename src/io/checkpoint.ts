// Opens a checkpoint lazily: a .safetensors file, a torch.save file (.pt/.pth/.bin/.ckpt, zip or
// legacy; read by the restricted unpickler in pickle/), a sharded `*.index.json` of either, or a
// folder holding model.safetensors / pytorch_model.bin or their indexes. A file not named
// *.safetensors is told by its first bytes, not its name. Opening reads and validates headers (or
// the pickle) only; `read(name)` reads that one tensor with positioned reads.
import fs from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Tensor } from '../tensor.js';
import type { Checkpoint, TensorInfo } from './types.js';
import { byName, readExactly, readHeader, readTensor, MAX_HEADER_BYTES, MAX_NAME_CHARS, MAX_TENSORS } from './safetensors.js';
import { displayName, quoteName } from '../util/escape.js';
import { parseJsonObject } from './json_strict.js';
import { fsReason } from './fs_errors.js';
import { looksLikeZip } from './zip.js';
import { looksLikeLegacyTorch } from './pickle/torch_file.js';
import { openTorchFile } from './pickle/source.js';

/** One file of a checkpoint, whatever its format. */
interface Shard {
  fh: FileHandle;
  tensors: ReadonlyMap<string, TensorInfo>;
  metadata: Record<string, string>;
  read(name: string): Promise<Tensor>;
}

export interface OpenOptions {
  /** torch.save files: which tensor set of a training checkpoint to use (e.g. "state_dict", "ema"). */
  key?: string;
}

const SINGLE = 'model.safetensors';
const INDEX = 'model.safetensors.index.json';
const TORCH_SINGLE = 'pytorch_model.bin';
const TORCH_INDEX = 'pytorch_model.bin.index.json';

export async function openCheckpoint(userPath: string, opts: OpenOptions = {}): Promise<Checkpoint> {
  const stat = await fs.stat(userPath).catch((e: unknown) => {
    throw new Error(`${userPath}: cannot open checkpoint (${fsReason(e)})`);
  });
  let file = userPath;
  if (stat.isDirectory()) {
    const found = await firstExisting([SINGLE, INDEX, TORCH_SINGLE, TORCH_INDEX].map((n) => path.join(userPath, n)));
    if (!found) throw new Error(`${userPath}: folder holds neither ${SINGLE} nor ${INDEX} (nor ${TORCH_SINGLE} or ${TORCH_INDEX})`);
    file = found;
  }
  if (!file.endsWith('.index.json')) return makeCheckpoint(userPath, [await openShard(file, opts)], {});
  const index = await readIndex(file);
  const metadata = indexMetadata(file, index);
  return makeCheckpoint(userPath, await openSharded(file, index, opts), metadata);
}

async function firstExisting(candidates: string[]): Promise<string | undefined> {
  for (const c of candidates) {
    if (await fs.stat(c).then((s) => s.isFile(), () => false)) return c;
  }
  return undefined;
}

/** Opens and validates one checkpoint file (safetensors or torch.save); `label` names it in errors. */
async function openShard(file: string, opts: OpenOptions, label = file): Promise<Shard> {
  const fh = await fs.open(file, 'r').catch((e: unknown) => {
    throw new Error(`${label}: cannot open (${fsReason(e)})`);
  });
  try {
    // A .safetensors name is trusted (its header read is the only read); any other name is sniffed.
    const head = file.endsWith('.safetensors') ? new Uint8Array(0) : await readExactly(fh, label, 0, Math.min((await fh.stat()).size, 8));
    if (looksLikeZip(head) || looksLikeLegacyTorch(head)) {
      const src = await openTorchFile(fh, label, head, opts);
      return { fh, tensors: src.tensors, metadata: src.metadata, read: src.read };
    }
    if (opts.key !== undefined) throw new Error(`${label}: --key applies to torch.save files; this is a safetensors file`);
    const header = await readHeader(fh, label);
    return { fh, tensors: header.entries, metadata: header.metadata, read: (name) => readTensor(fh, header, header.entries.get(name)!) };
  } catch (e) {
    await fh.close();
    throw e;
  }
}

async function readIndex(indexFile: string): Promise<Record<string, unknown>> {
  const { size } = await fs.stat(indexFile);
  if (size > MAX_HEADER_BYTES) throw new Error(`${indexFile}: index is ${size} bytes, over the ${MAX_HEADER_BYTES}-byte limit`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(await fs.readFile(indexFile));
  } catch {
    throw new Error(`${indexFile}: index is not valid UTF-8`);
  }
  return parseJsonObject(indexFile, text, 'index');
}

/** The index's `metadata` (e.g. total_size) as strings. */
function indexMetadata(indexFile: string, index: Record<string, unknown>): Record<string, string> {
  const meta = index.metadata;
  if (meta === undefined || meta === null) return {};
  if (typeof meta !== 'object' || Array.isArray(meta)) throw new Error(`${indexFile}: "metadata" must be an object`);
  return Object.fromEntries(Object.entries(meta).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
}

async function openSharded(indexFile: string, index: Record<string, unknown>, opts: OpenOptions): Promise<Shard[]> {
  const map = index.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) {
    throw new Error(`${indexFile}: "weight_map" must be an object mapping tensor names to shard files`);
  }
  const count = Object.keys(map).length;
  if (count > MAX_TENSORS) throw new Error(`${indexFile}: weight_map lists ${count} tensors, over the limit of ${MAX_TENSORS}`);
  const dir = path.dirname(path.resolve(indexFile));
  const wanted = new Map<string, Set<string>>(); // shard path → tensor names the index puts there
  for (const [name, shardName] of Object.entries(map as Record<string, unknown>)) {
    if (name.length > MAX_NAME_CHARS) throw new Error(`${indexFile}: weight_map[${quoteName(name)}]: name is ${name.length} characters, over the limit of ${MAX_NAME_CHARS}`);
    if (typeof shardName !== 'string' || shardName === '') throw new Error(`${indexFile}: weight_map[${quoteName(name)}] must be a shard file name`);
    if (shardName.length > MAX_NAME_CHARS || shardName.includes('\0')) throw new Error(`${indexFile}: weight_map[${quoteName(name)}] = ${quoteName(shardName)} is not a usable file name`);
    const full = path.resolve(dir, shardName);
    const rel = path.relative(dir, full);
    if (path.isAbsolute(shardName) || rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
      throw new Error(`${indexFile}: weight_map[${quoteName(name)}] = ${quoteName(shardName)} escapes the checkpoint folder`);
    }
    if (!wanted.has(full)) wanted.set(full, new Set());
    wanted.get(full)!.add(name);
  }
  const shards: Shard[] = [];
  try {
    for (const [file, names] of [...wanted].sort(([a], [b]) => (a < b ? -1 : 1))) {
      // the shard's path comes from the index: shown escaped in every message about it
      const shard = await openShard(file, opts, displayName(file)).catch((e: Error) => {
        throw new Error(`${indexFile}: shard ${displayName(path.relative(dir, file))}: ${e.message}`);
      });
      shards.push(shard);
      for (const name of names) {
        if (!shard.tensors.has(name)) throw new Error(`${indexFile}: tensor ${quoteName(name)} is mapped to ${displayName(path.relative(dir, file))}, which does not hold it`);
      }
      for (const name of shard.tensors.keys()) {
        if (!names.has(name)) {
          const owner = (map as Record<string, string>)[name];
          const why = owner === undefined ? 'the index does not list it' : `the index maps it to ${displayName(owner)} (listed twice across shards)`;
          throw new Error(`${indexFile}: shard ${displayName(path.relative(dir, file))} holds tensor ${quoteName(name)} but ${why}`);
        }
      }
    }
  } catch (e) {
    await Promise.all(shards.map((s) => s.fh.close()));
    throw e;
  }
  return shards;
}

function makeCheckpoint(userPath: string, shards: Shard[], extraMeta: Record<string, string>): Checkpoint {
  const total = shards.reduce((s, sh) => s + sh.tensors.size, 0);
  if (total > MAX_TENSORS) throw new Error(`${userPath}: ${total} tensors across its shards, over the limit of ${MAX_TENSORS}`);
  const owner = new Map<string, Shard>();
  const infos: TensorInfo[] = [];
  const metadata: Record<string, string> = {};
  for (const shard of shards) {
    Object.assign(metadata, shard.metadata);
    for (const e of shard.tensors.values()) {
      owner.set(e.name, shard);
      infos.push({ name: e.name, dtype: e.dtype, shape: e.shape });
    }
  }
  Object.assign(metadata, extraMeta);
  infos.sort(byName);
  let closed = false;
  return {
    path: userPath,
    tensors: new Map(infos.map((i) => [i.name, i])),
    metadata,
    async read(name: string): Promise<Tensor> {
      const shard = owner.get(name);
      if (!shard) throw new Error(`${userPath}: no tensor named ${quoteName(name)}${suggest(name, [...owner.keys()])}`);
      if (closed) throw new Error(`${userPath}: checkpoint is closed (reading ${quoteName(name)})`);
      return shard.read(name);
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await Promise.all(shards.map((s) => s.fh.close()));
    },
  };
}

/** " (did you mean …?)" for names within a small edit distance, else "". */
function suggest(name: string, names: string[]): string {
  if (name.length > 256 || names.length > 20_000) return '';
  const limit = Math.max(2, Math.floor(name.length / 4));
  const close = names
    .map((n) => ({ n, d: editDistance(name, n, limit) }))
    .filter((c) => c.d <= limit)
    .sort((a, b) => a.d - b.d)
    .slice(0, 3)
    .map((c) => quoteName(c.n));
  return close.length ? ` (did you mean ${close.join(', ')}?)` : '';
}

/** Levenshtein distance, cut off at limit + 1. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}
