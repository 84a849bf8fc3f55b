// merge(config, options): a mergekit config merged tensor by tensor into an HF model folder.
// Each tensor's inputs are read with positioned reads while the previous tensor is computed; the
// hot methods run in the native addon (BF16/F16 decoded and encoded in the kernel), the others in
// the TypeScript reference (methods/). The folder appears complete or not at all. With `tensors`
// (part K of N, parts.ts) only that part's output files are merged and staged for finishMerge.
import fs from 'node:fs/promises';
import path from 'node:path';
import { stringify as yamlStringify } from 'yaml';
import { checkConfig, parseMergeConfig, outDType, type MergeConfig } from './config.js';
import { buildPlan, type MergePlan, type PlanItem } from './plan.js';
import { openSource, type Source } from './source.js';
import { ShardedWriter, parseSize, shardLayout } from '../io/sharded_writer.js';
import { ctlkitVersion } from '../io/version.js';
import { checkShard, type ShardSpec } from '../sweep/shard.js';
import { MANIFEST, PART_FORMAT, PART_VERSION, filesOfPart, layoutHash, partFile, partName, partsDir, sha256, type MergeIdentity, type PartManifest } from './parts.js';
import { float32ToBf16, float32ToF16 } from '../io/half.js';
import type { TensorJob } from './methods/types.js';
import { nativeMerger, type NativeMerger } from './native.js';

export interface MergeRunOptions {
  /** Output folder (must not exist, or be empty). */
  out: string;
  /** Seed of DARE / DELLA's random streams (default 0). */
  seed?: number;
  /** Largest shard, bytes or '5GB' (default 5 GB). */
  shardSize?: number | string;
  /** Output float dtype, over the config's out_dtype / dtype. */
  dtype?: 'F32' | 'F16' | 'BF16' | 'bfloat16' | 'float16' | 'float32';
  /** 'auto' (default): native kernels where the addon has them; 'reference': TypeScript only. */
  backend?: 'auto' | 'native' | 'reference';
  /** Relative model paths are resolved against it (default: the working folder). */
  baseDir?: string;
  /** Checked before each tensor; an abort leaves no output. */
  signal?: AbortSignal;
  onProgress?: (p: MergeRunProgress) => void;
  /** Name used in error messages (the YAML file). */
  configName?: string;
  /** Merge only part `index` of `count` (0-based) of the output files, into <out>.ctlkit-parts/;
   *  finishMerge(out) assembles the folder once every part is done. */
  tensors?: ShardSpec;
}

export interface MergeRunProgress { tensor: string; done: number; total: number; bytesRead: number; bytesWritten: number }

export interface MergeResult {
  out: string;
  /** File names inside `out`. */
  files: string[];
  tensors: number;
  bytesRead: number;
  bytesWritten: number;
  seconds: number;
  /** Tensors computed by the native kernels / by the reference methods. */
  native: number;
  reference: number;
  dtype: 'F32' | 'F16' | 'BF16';
  /** With `tensors`: the part, its folder, and how many of the merge's files it wrote. */
  part?: { index: number; count: number; dir: string; files: number; of: number };
}

const COPIED = ['tokenizer.json', 'tokenizer_config.json', 'tokenizer.model', 'special_tokens_map.json', 'added_tokens.json',
  'vocab.json', 'vocab.txt', 'merges.txt', 'generation_config.json'];
const TORCH_DTYPE = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' } as const;

/** float64 results → the stored bytes (rounded once to float32, then to F16/BF16). */
export function encodeFloats(v: Float64Array, dtype: 'F32' | 'F16' | 'BF16', name: string): Uint8Array {
  const f = Float32Array.from(v);
  for (let i = 0; i < f.length; i++) if (!Number.isFinite(f[i])) throw new Error(`merge: tensor "${name}" has NaN or Inf at flat index ${i} after merging`);
  const a = dtype === 'F32' ? f : dtype === 'F16' ? float32ToF16(f) : float32ToBf16(f);
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

async function floats(src: Source, name: string): Promise<Float32Array> {
  const t = await src.read(name);
  return t.data as Float32Array;
}

/** Runs one plan item with the reference methods. */
export async function referenceItem(plan: MergePlan, item: PlanItem, sources: Source[], seed: number): Promise<Uint8Array> {
  const job: TensorJob = {
    name: item.out,
    shape: item.shape,
    base: item.base && (await floats(sources[item.base.model], item.base.tensor)),
    inputs: await Promise.all(item.inputs.map(async (x) => ({ data: await floats(sources[x.model], x.tensor), params: x.params, index: x.index }))),
    global: item.global,
    seed,
  };
  return encodeFloats(plan.method.merge(job), plan.outDType, item.out);
}

/** Adds config.json (torch_dtype set), the tokenizer files and the config; returns name → sha256. */
async function copyExtras(w: ShardedWriter, src: Source, dtype: 'F32' | 'F16' | 'BF16', yml: string): Promise<Record<string, string>> {
  const added: Record<string, string> = {};
  const add = async (name: string, data: string | Uint8Array) => {
    await w.addFile(name, data);
    added[name] = sha256(data);
  };
  const cfgFile = path.join(src.dir, 'config.json');
  const text = await fs.readFile(cfgFile, 'utf8').catch(() => undefined);
  if (text !== undefined) {
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`${cfgFile}: not valid JSON (${(e as Error).message})`);
    }
    json.torch_dtype = TORCH_DTYPE[dtype];
    await add('config.json', JSON.stringify(json, null, 2) + '\n');
  }
  for (const f of COPIED) {
    const data = await fs.readFile(path.join(src.dir, f)).catch(() => undefined);
    if (data) await add(f, data);
  }
  await add('ctlkit_merge.yml', yml);
  return added;
}

/** sha256 of a checkpoint's header as read: tensor names, dtypes and shapes, sorted by name. */
const headerHash = (src: Source): string => sha256(JSON.stringify([...src.tensors.values()].map((t) => [t.name, t.dtype, t.shape])));

/** Merges the models of a mergekit config (object, or YAML text) into the HF folder `opts.out`. */
export async function merge(config: MergeConfig | string, opts: MergeRunOptions): Promise<MergeResult> {
  const t0 = performance.now();
  const file = opts.configName ?? 'config';
  const cfg = typeof config === 'string' ? parseMergeConfig(config, file) : checkConfig(structuredClone(config), file);
  const seed = opts.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`seed: expected an integer in [0, 4294967295], got ${opts.seed}`);
  const shardBytes = parseSize(opts.shardSize ?? 5e9);
  const resolve = (p: string) => path.resolve(opts.baseDir ?? process.cwd(), p);
  const paths = [...new Set([...(cfg.models ?? []).map((m) => m.model), ...(cfg.slices ?? []).flatMap((s) => [...s.sources.map((x) => x.model), ...(s.base_model ? [s.base_model] : [])]), ...(cfg.base_model ? [cfg.base_model] : [])])];
  const sources: Source[] = [];
  let writer: ShardedWriter | undefined;
  try {
    for (const p of paths) sources.push(await openSource(resolve(p)).catch((e: Error) => { throw new Error(`${file}: model ${p}: ${e.message}`); }));
    const plan = buildPlan(cfg, sources, paths, file, opts.dtype ? outDType(opts.dtype, '--dtype') : undefined);
    const native = opts.backend === 'reference' ? undefined : nativeMerger(plan, sources, opts.backend === 'native');
    const infos = plan.items.map((it) => ({
      name: it.out,
      dtype: it.kind === 'copy' ? sources[it.inputs[0].model].tensors.get(it.inputs[0].tensor)!.dtype : plan.outDType,
      shape: it.shape,
    }));
    const metadata = { format: 'pt', merged_by: 'ctlkit', merge_method: plan.method.name };
    const part = opts.tensors;
    let items = plan.items;
    let layout: ReturnType<typeof shardLayout> | undefined;
    let mine: string[] | undefined;
    if (part) {
      checkShard(part, '--tensors');
      layout = shardLayout(infos, shardBytes, metadata);
      mine = filesOfPart(layout.files, part).map((f) => f.name);
      const names = new Set(layout.files.filter((f) => mine!.includes(f.name)).flatMap((f) => f.tensors.map((t) => t.name)));
      items = plan.items.filter((it) => names.has(it.out));
      const held = await fs.readdir(opts.out).catch(() => [] as string[]);
      if (held.length) throw new Error(`${opts.out}: the folder exists and is not empty (a finished merge?); parts go to ${partsDir(opts.out)}, choose a new --out`);
      await fs.mkdir(partsDir(opts.out), { recursive: true }).catch((e: Error) => { throw new Error(`${partsDir(opts.out)}: cannot create (${e.message})`); });
    }
    opts.signal?.throwIfAborted();
    const dir = part ? path.join(partsDir(opts.out), partName(part)) : opts.out;
    writer = await ShardedWriter.create(dir, infos, { shardBytes, metadata, ...(part ? { only: mine, replace: true } : {}) });
    let bytesRead = 0, bytesWritten = 0, nNative = 0, nRef = 0;
    const rawBytes = (it: PlanItem) => [...(it.base ? [it.base] : []), ...it.inputs].reduce((s, x) => s + sources[x.model].tensors.get(x.tensor)!.bytes, 0);
    const compute = async (it: PlanItem, loaded: Promise<Uint8Array[]> | undefined): Promise<Uint8Array> => {
      if (it.kind === 'copy') return sources[it.inputs[0].model].readRaw(it.inputs[0].tensor);
      if (native && loaded) {
        nNative++;
        return native.run(it, await loaded, seed);
      }
      nRef++;
      return referenceItem(plan, it, sources, seed);
    };
    // the next tensor's raw inputs are read while this one is computed and written
    const load = (it: PlanItem | undefined) => {
      if (!it || it.kind !== 'merge' || !native?.handles(it)) return undefined;
      const p = native.load(it, sources);
      p.catch(() => undefined); // awaited when its turn comes; an early failure must not go unhandled
      return p;
    };
    let next = load(items[0]);
    for (let i = 0; i < items.length; i++) {
      opts.signal?.throwIfAborted();
      const it = items[i];
      const loaded = next;
      next = load(items[i + 1]);
      const bytes = await compute(it, loaded);
      await writer.writeBytes(it.out, bytes);
      if (native && it.kind === 'merge' && loaded) native.release(bytes);
      bytesRead += rawBytes(it);
      bytesWritten += bytes.byteLength;
      opts.onProgress?.({ tensor: it.out, done: i + 1, total: items.length, bytesRead, bytesWritten });
    }
    await next?.catch(() => undefined);
    opts.signal?.throwIfAborted();
    const saved = typeof config === 'string' ? config : yamlStringify(cfg);
    const extras = await copyExtras(writer, sources[plan.configModel], plan.outDType, saved);
    if (part && layout && mine) {
      const all = layout.files.map(partFile);
      const identity: MergeIdentity = {
        ctlkit: ctlkitVersion(), config: sha256(saved), method: plan.method.name, seed, dtype: plan.outDType, shard_bytes: shardBytes,
        engine: native ? 'native' : 'reference', // every ISA level's kernels give the same bytes (merge_isa.test.ts)
        models: paths.map((p, i) => ({ path: p, header: headerHash(sources[i]) })),
        layout: layoutHash(all), files: all.length, tensors: plan.items.length, total_size: layout.totalSize, extras,
      };
      const manifest: PartManifest = { format: PART_FORMAT, version: PART_VERSION, identity, part: { index: part.index, count: part.count }, layout: layout.files.map((f) => ({ name: f.name, bytes: f.bytes })), files: all.filter((f) => mine!.includes(f.name)) };
      await writer.addFile(MANIFEST, JSON.stringify(manifest, null, 1) + '\n');
    }
    const files = await writer.commit();
    const result: MergeResult = { out: opts.out, files, tensors: items.length, bytesRead, bytesWritten, seconds: (performance.now() - t0) / 1000, native: nNative, reference: nRef, dtype: plan.outDType };
    if (part && layout && mine) result.part = { index: part.index, count: part.count, dir, files: mine.length, of: layout.files.length };
    return result;
  } catch (e) {
    await writer?.abort();
    throw e;
  } finally {
    await Promise.all(sources.map((s) => s.close()));
  }
}
