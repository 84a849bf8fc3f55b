// Which share of a sweep one shard computes. Samples are split in whole chunks of the sweep's batch
// size, so every chunk a shard runs is exactly a chunk of the unsharded run (the same samples
// together, the same per-sample numbers); shard K of N gets chunks [⌊K·C/N⌋, ⌊(K+1)·C/N⌋) of the
// C = ⌈n / batch⌉ chunks, which is empty when N > C. Rows split the same way over the K rows.

/** Shard `index` of `count` (0 ≤ index < count). */
export interface ShardSpec {
  index: number;
  count: number;
}

/** A half-open range [start, end). */
export interface Range {
  start: number;
  end: number;
}

/** The environment variables that `auto` reads: a Slurm array task, a Kubernetes Indexed Job. */
export const INDEX_VARIABLES = ['SLURM_ARRAY_TASK_ID', 'JOB_COMPLETION_INDEX'] as const;

export function checkShard(s: ShardSpec, what: string): void {
  if (!Number.isInteger(s.count) || s.count < 1) throw new Error(`${what}: shard count must be a positive integer, got ${s.count}`);
  if (!Number.isInteger(s.index) || s.index < 0 || s.index >= s.count) {
    throw new Error(`${what}: shard index must be an integer in 0..${s.count - 1}, got ${s.index}`);
  }
}

/** The index of `auto`: whichever of INDEX_VARIABLES is set (both set must agree). */
function autoIndex(what: string, env: Record<string, string | undefined>): number {
  const set = INDEX_VARIABLES.filter((v) => env[v] !== undefined && env[v] !== '');
  if (set.length === 0) throw new Error(`${what}: 'auto' needs $${INDEX_VARIABLES.join(' or $')} to be set (neither is)`);
  const values = set.map((v) => env[v]!.trim());
  if (values.some((v) => v !== values[0])) {
    throw new Error(`${what}: $${set[0]}=${values[0]} and $${set[1]}=${values[1]} disagree; unset one`);
  }
  const n = Number(values[0]);
  if (!/^\d+$/.test(values[0]) || !Number.isSafeInteger(n)) throw new Error(`${what}: $${set[0]} is '${values[0]}', expected a non-negative integer`);
  return n;
}

/** Parses `K/N` (K 0-based) or `auto/N`; `what` names the option. */
export function parseShard(spec: string, what: string, env: Record<string, string | undefined> = process.env): ShardSpec {
  const m = /^\s*(auto|\d+)\s*\/\s*(\d+)\s*$/.exec(spec);
  if (!m) throw new Error(`${what}: expected K/N (0 ≤ K < N, e.g. 0/4) or auto/N, got '${spec}'`);
  const count = Number(m[2]);
  const index = m[1] === 'auto' ? autoIndex(what, env) : Number(m[1]);
  const s = { index, count };
  checkShard(s, what);
  return s;
}

/** Item range of shard `s` over `items` items: [⌊K·items/N⌋, ⌊(K+1)·items/N⌋). */
export function shardRange(items: number, s: ShardSpec): Range {
  return { start: Math.floor((s.index * items) / s.count), end: Math.floor(((s.index + 1) * items) / s.count) };
}

/** Samples of shard `s`: whole chunks of `batch` samples out of `n`. */
export function sampleRange(n: number, batch: number, s: ShardSpec): Range {
  const chunks = shardRange(Math.ceil(n / batch), s);
  return { start: Math.min(n, chunks.start * batch), end: Math.min(n, chunks.end * batch) };
}

/** Rows of shard `s` over `k` rows; more shards than rows is an error (a shard without rows). */
export function rowRange(k: number, s: ShardSpec, what = '--rows'): Range {
  if (s.count > k) throw new Error(`${what} ${s.index}/${s.count}: the sweep has only ${k} row${k === 1 ? '' : 's'}; use at most ${k} row shards`);
  return shardRange(k, s);
}

export const formatShard = (s: ShardSpec): string => `${s.index}/${s.count}`;
export const formatRange = (r: Range): string => `[${r.start}, ${r.end})`;
