// One merge over N machines: part K of N merges the tensors of its share of the output files and
// writes them, exactly as the whole merge would (same names, headers, bytes), into
// <out>.ctlkit-parts/part-K-of-N/ with a manifest (part.json); finishMerge (finish.ts) checks the
// parts and assembles <out>. The file layout depends on the tensors and --shard-size alone, so every
// machine computes it alike from the headers; file i of T (data bytes b_i, b_<i before it, B in
// all) goes to part ⌊N·(2·b_<i + b_i) / (2·B)⌋: contiguous runs of files, each part within one
// file's bytes of B / N (T ≤ N: file i → part i, the parts after the last file are empty).
import { createHash } from 'node:crypto';
import path from 'node:path';
import { DTYPE_SIZE } from '../io/safetensors.js';
import type { ShardFile } from '../io/sharded_writer.js';
import type { ShardSpec } from '../sweep/shard.js';

export const PART_FORMAT = 'ctlkit-merge-part';
export const PART_VERSION = 1;
export const MANIFEST = 'part.json';

/** What makes two parts pieces of one merge: equal in every part. */
export interface MergeIdentity {
  ctlkit: string;
  /** sha256 of the config as saved (ctlkit_merge.yml). */
  config: string;
  method: string;
  seed: number;
  dtype: 'F32' | 'F16' | 'BF16';
  shard_bytes: number;
  /** 'reference' or 'native' (the native kernels give the same bytes on every ISA level). */
  engine: string;
  /** Each input checkpoint (as the config names it) and sha256 of its header (names, dtypes, shapes). */
  models: { path: string; header: string }[];
  /** sha256 of the whole layout: every file's name, header bytes and size. */
  layout: string;
  files: number;
  tensors: number;
  total_size: number;
  /** The small files every part carries (config.json, tokenizer files, ctlkit_merge.yml): name → sha256. */
  extras: Record<string, string>;
}

export interface PartFile {
  name: string;
  /** Whole file size (header + data). */
  size: number;
  /** sha256 of the file's header bytes. */
  header: string;
  tensors: { name: string; dtype: string; shape: number[]; bytes: number }[];
}

export interface PartManifest {
  format: typeof PART_FORMAT;
  version: typeof PART_VERSION;
  identity: MergeIdentity;
  part: ShardSpec;
  /** Every file of the merge (name, data bytes), so that any part can tell what another holds. */
  layout: { name: string; bytes: number }[];
  /** The files this part wrote. */
  files: PartFile[];
}

export const sha256 = (...parts: (string | Uint8Array)[]): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

/** Where the parts of the merge into `out` are staged: <out>.ctlkit-parts (beside `out`, so that
 *  the finished folder can appear by one rename). */
export const partsDir = (out: string): string => `${path.resolve(out)}.ctlkit-parts`;
export const partName = (s: ShardSpec): string => `part-${s.index}-of-${s.count}`;
export const PART_DIR = /^part-(\d+)-of-(\d+)$/;

/** The part of each file (index into `files`), from the files' data bytes. */
export function assignFiles(files: readonly { bytes: number }[], count: number): number[] {
  if (files.length <= count) return files.map((_, i) => i);
  const total = files.reduce((s, f) => s + BigInt(f.bytes), 0n);
  let before = 0n;
  return files.map((f, i) => {
    const b = BigInt(f.bytes);
    // all-empty tensors: spread by position
    const k = total === 0n ? Math.floor((i * count) / files.length) : Number((BigInt(count) * (2n * before + b)) / (2n * total));
    before += b;
    return Math.min(count - 1, k);
  });
}

/** The files part `s` writes. */
export function filesOfPart<F extends { bytes: number }>(files: readonly F[], s: ShardSpec): F[] {
  const owner = assignFiles(files, s.count);
  return files.filter((_, i) => owner[i] === s.index);
}

/** sha256 over the layout: file names, sizes and header bytes in order. */
export function layoutHash(files: readonly { name: string; size: number; header: string }[]): string {
  return sha256(JSON.stringify(files.map((f) => [f.name, f.size, f.header])));
}

export function partFile(f: ShardFile): PartFile {
  return {
    name: f.name,
    size: f.size,
    header: sha256(f.header),
    tensors: f.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: [...t.shape], bytes: t.shape.reduce((a, b) => a * b, 1) * DTYPE_SIZE[t.dtype] })),
  };
}

/** The first identity field in which `b` differs from `a` (the parts' common one, named `aName`),
 *  in words; undefined when equal. */
export function identityDiff(a: MergeIdentity, b: MergeIdentity, aName: string): string | undefined {
  const words: Record<keyof MergeIdentity, string> = {
    ctlkit: 'ctlkit version', config: 'merge config', method: 'merge method', seed: '--seed', dtype: 'output dtype',
    shard_bytes: '--shard-size', engine: 'kernels', models: 'input checkpoints', layout: 'output layout', files: 'file count',
    tensors: 'tensor count', total_size: 'total size', extras: 'config.json / tokenizer files',
  };
  for (const k of Object.keys(words) as (keyof MergeIdentity)[]) {
    if (JSON.stringify(a[k]) === JSON.stringify(b[k])) continue;
    if (k === 'models') {
      const i = a.models.findIndex((m, j) => JSON.stringify(m) !== JSON.stringify(b.models[j]));
      const ma = a.models[i], mb = b.models[i];
      if (ma && mb && ma.path === mb.path) return `the header of ${ma.path} differs from the one in ${aName} (another checkpoint at that path)`;
      return `input checkpoints: ${mb?.path ?? 'none'} here, ${ma?.path ?? 'none'} in ${aName}`;
    }
    if (k === 'extras') {
      const names = [...new Set([...Object.keys(a.extras), ...Object.keys(b.extras)])].sort();
      const f = names.find((n) => a.extras[n] !== b.extras[n])!;
      return `${f}: ${b.extras[f] ? 'another file' : 'absent'} here, ${a.extras[f] ? 'present' : 'absent'} in ${aName}`;
    }
    const show = (v: unknown) => (typeof v === 'string' && /^[0-9a-f]{64}$/.test(v) ? `sha256 ${v.slice(0, 12)}…` : JSON.stringify(v));
    return `${words[k]}: ${show(b[k])} here, ${show(a[k])} in ${aName}`;
  }
  return undefined;
}
