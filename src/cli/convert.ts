// ctlkit convert IN [--out OUT.safetensors]: any checkpoint ctlkit reads (a torch.save .pt/.pth/.bin/
// .ckpt, a pickled module, a sharded index, safetensors) written as one safetensors file, atomically.
// The whole input is opened (and a hostile pickle refused) before the output file is created.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { tempPathFor, writeFileAtomic } from '../io/atomic.js';
import { openCheckpoint } from '../io/checkpoint.js';
import { DTYPE_SIZE } from '../io/safetensors.js';
import type { Checkpoint, StDType, TensorInfo } from '../io/types.js';
import { SafetensorsWriter, type FloatOutDType } from '../io/writer.js';
import { numel } from '../tensor.js';

interface ConvertArgs {
  out?: string;
  dtype?: string;
  key?: string;
  shardSize?: string;
}

export interface ConvertOptions {
  dtype?: FloatOutDType;
  key?: string;
  /** Write a folder of shards of at most this many bytes each (a tensor larger than it gets its own). */
  shardBytes?: number;
}

export interface ConvertSummary {
  out: string;
  tensors: number;
  /** 1 for a single file. */
  shards: number;
  metadata: Record<string, string>;
}

const FLOAT: ReadonlySet<StDType> = new Set(['F32', 'F16', 'BF16', 'F64']);

/** IN with its extension replaced by .safetensors (a folder or index: model.safetensors inside/beside). */
export function defaultOutPath(input: string): string {
  const base = path.basename(input).replace(/(\.bin)?\.index\.json$|\.(pt|pth|bin|ckpt|safetensors)$/i, '');
  return path.join(path.dirname(input), `${base || 'model'}.safetensors`);
}

export async function convertCheckpoint(input: string, out: string, opts: ConvertOptions = {}): Promise<ConvertSummary> {
  if (opts.dtype !== undefined && !['F32', 'F16', 'BF16'].includes(opts.dtype)) {
    throw new Error(`--dtype: expected F32, F16 or BF16, got '${String(opts.dtype)}'`);
  }
  if (path.resolve(out) === path.resolve(input)) throw new Error(`--out ${out}: would overwrite the input`);
  const ckpt = await openCheckpoint(input, { key: opts.key });
  try {
    // Floats keep their dtype unless --dtype is given (F64 becomes F32: ctlkit holds floats as float32).
    const storeAs = (t: TensorInfo): StDType => (FLOAT.has(t.dtype) ? (opts.dtype ?? (t.dtype === 'F64' ? 'F32' : t.dtype)) : t.dtype);
    const infos = [...ckpt.tensors.values()].map((t) => ({ name: t.name, dtype: storeAs(t), shape: t.shape }));
    const metadata: Record<string, string> = { ...ckpt.metadata, source: path.basename(input) };
    if (opts.shardBytes === undefined) {
      await writeOne(ckpt, out, infos, metadata);
      return { out, tensors: infos.length, shards: 1, metadata };
    }
    // The folder is written under a temporary name and renamed into place: it appears complete or
    // not at all, and an existing non-empty folder is never touched (as `merge --config` does).
    const groups = shardGroups(infos, opts.shardBytes);
    if (await fs.readdir(out).then((e) => e.length > 0, () => false)) throw new Error(`${out}: output folder exists and is not empty (choose a new folder)`);
    const tmp = tempPathFor(out);
    await fs.mkdir(tmp);
    const names = groups.map((_, i) => `model-${String(i + 1).padStart(5, '0')}-of-${String(groups.length).padStart(5, '0')}.safetensors`);
    const weightMap: Record<string, string> = {};
    try {
      for (const [i, g] of groups.entries()) {
        await writeOne(ckpt, path.join(tmp, names[i]), g, metadata);
        for (const t of g) weightMap[t.name] = names[i];
      }
      const totalSize = infos.reduce((s, t) => s + bytesOf(t), 0);
      await writeFileAtomic(path.join(tmp, 'model.safetensors.index.json'), `${JSON.stringify({ metadata: { ...metadata, total_size: totalSize }, weight_map: weightMap }, null, 2)}\n`);
      await fs.rmdir(out).catch(() => undefined); // an empty folder at the target is replaced
      await fs.rename(tmp, out);
    } catch (e) {
      await fs.rm(tmp, { recursive: true, force: true });
      throw e;
    }
    return { out, tensors: infos.length, shards: groups.length, metadata };
  } finally {
    await ckpt.close();
  }
}

const bytesOf = (t: TensorInfo): number => numel(t.shape) * DTYPE_SIZE[t.dtype];

/** Consecutive (name-ordered) tensors packed into shards of at most `limit` bytes. */
function shardGroups(infos: TensorInfo[], limit: number): TensorInfo[][] {
  const groups: TensorInfo[][] = [];
  let size = Infinity;
  for (const t of infos) {
    if (size + bytesOf(t) > limit || !groups.length) {
      groups.push([]);
      size = 0;
    }
    groups[groups.length - 1].push(t);
    size += bytesOf(t);
  }
  return groups.length ? groups : [[]];
}

async function writeOne(ckpt: Checkpoint, out: string, infos: TensorInfo[], metadata: Record<string, string>): Promise<void> {
  const writer = await SafetensorsWriter.create(out, infos, metadata);
  try {
    for (const info of infos) await writer.write(info.name, await ckpt.read(info.name));
    await writer.commit();
  } catch (e) {
    await writer.abort();
    throw e;
  }
}

/** "500MB", "2GB", "64KB" or plain bytes → bytes. */
export function parseSize(value: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB)?$/i.exec(value.trim());
  const unit = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9 }[(m?.[2] ?? 'B').toUpperCase() as 'B'];
  const n = m ? Math.floor(Number(m[1]) * unit) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${what}: expected a size such as 2GB or 500MB, got '${value}'`);
  return n;
}

export function register(program: Command): void {
  program
    .command('convert')
    .description('write a checkpoint (.pt/.pth/.bin/.ckpt torch.save file, pickled module, sharded index) as one .safetensors file')
    .argument('<checkpoint>', 'the input: any checkpoint ctlkit reads')
    .option('--out <file>', 'output .safetensors (default: the input name with .safetensors)')
    .option('--dtype <dtype>', 'store floats as F32 | F16 | BF16 (default: as found; F64 as F32)')
    .option('--key <key>', 'which tensor set of a training checkpoint (e.g. state_dict, ema; a/b for nested)')
    .option('--shard-size <size>', 'write a folder of shards of at most this size (e.g. 2GB) with model.safetensors.index.json')
    .addHelpText('after', '\nExamples:\n  ctlkit convert finetuned.pt\n  ctlkit convert last.ckpt --key state_dict --out model.safetensors --dtype F16\n  ctlkit convert pytorch_model.bin.index.json --shard-size 2GB --out model/')
    .action(async (input: string, a: ConvertArgs) => {
      const shardBytes = a.shardSize === undefined ? undefined : parseSize(a.shardSize, '--shard-size');
      const out = a.out ?? (shardBytes === undefined ? defaultOutPath(input) : defaultOutPath(input).replace(/\.safetensors$/, ''));
      const s = await convertCheckpoint(input, out, { dtype: a.dtype?.toUpperCase() as FloatOutDType | undefined, key: a.key, shardBytes });
      const from = [s.metadata.source_format, s.metadata.source_key && `key ${s.metadata.source_key}`, s.metadata.stripped_prefix && `prefix ${s.metadata.stripped_prefix} stripped`].filter(Boolean).join(', ');
      console.log(`${s.out}: ${s.tensors} tensors${s.shards > 1 || shardBytes !== undefined ? ` in ${s.shards} shards` : ''}${from ? ` (${from})` : ''}`);
    });
}
