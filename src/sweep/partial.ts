// A partial: what one shard of a sweep (shard.ts) computed, as JSON — the sweep's identity, the
// share it covers, and the schedule's accumulators, each saved as its `kind` + JSON state
// (metrics/accumulator.ts) so that reduce.ts can merge them exactly and finish every metric.
//
// The schedule's state (schedule.ts ScheduleState) is saved field by field, whatever its fields:
// arrays, Maps (by layer), Float64Arrays and accumulators are tagged ({"$map"}, {"$f64"},
// {"$acc": kind, "state"}); a value of any other class is refused. A top-level field whose name
// starts with `row` is per row of the matrix (its array has one entry per row of the shard); every
// other field covers the whole basis and is taken from the shards that hold row 0.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fsReason } from '../io/fs_errors.js';
import type { Checkpoint } from '../io/types.js';
import { ctlkitVersion } from '../io/version.js';
import { accumulatorFromState, isMergeable } from '../metrics/accumulator.js';
import '../metrics/similarity.js';
import '../metrics/task.js';
import type { ModelConfig } from '../models/family.js';
import type { CoefficientMatrix } from './coefficients.js';
import type { DataSpec } from './prepare.js';
import type { ScheduleState } from './schedule.js';
import { checkShard, formatRange, rowRange, sampleRange, type Range, type ShardSpec } from './shard.js';

export const PARTIAL_FORMAT = 'ctlkit-sweep-partial';
export const PARTIAL_VERSION = 1;

/** What makes two shards parts of one sweep; every field must agree. */
export interface SweepIdentity {
  ctlkit: string;
  architecture: string;
  /** sha256 of the model config (JSON) */
  config: string;
  /** per basis model: the path given and the sha256 of its header (tensor names, dtypes, shapes, metadata) */
  models: { path: string; header: string }[];
  /** per checkpoint row (only when the sweep has some): its row, path and header sha256 */
  checkpointRows?: { row: number; path: string; header: string }[];
  /** the coefficient matrix with its plan (encoded) */
  matrix: unknown;
  layers: string[];
  /** the samples as read, after the selection: sha256 of dtype, shape and bytes (inputs, then labels) */
  inputs: { source: string; key: string; labels: string | null; sha256: string };
  /** --samples / --seed and the number of samples selected */
  selection: { samples: number | null; seed: number; selected: number };
  batch: number;
}

export interface SweepPartial {
  format: typeof PARTIAL_FORMAT;
  version: typeof PARTIAL_VERSION;
  identity: SweepIdentity;
  /** which shard of samples (whole chunks) and of rows this is */
  shard: { samples: ShardSpec; rows: ShardSpec };
  /** the samples and rows it covers (follows from `shard` and the identity) */
  covers: { samples: Range; rows: Range };
  backend: string;
  peak_rss_bytes: number;
  elapsed_seconds: number;
  /** the schedule's accumulators, encoded */
  state: Record<string, unknown>;
}

// ---- values ↔ JSON --------------------------------------------------------------------------------

const TYPED: Record<string, { new (values: number[]): Float64Array | Float32Array | Int32Array }> = { $f64: Float64Array, $f32: Float32Array, $i32: Int32Array };

const encodeNumber = (x: number): unknown => (Number.isFinite(x) ? x : { $num: String(x) });

/** A JSON-ready copy of `v`; `where` names the place for the error on a value that cannot be saved. */
export function encodeValue(v: unknown, where: string): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return encodeNumber(v);
  if (Array.isArray(v)) return v.map((x, i) => encodeValue(x, `${where}[${i}]`));
  if (v instanceof Float64Array) return { $f64: Array.from(v, encodeNumber) };
  if (v instanceof Float32Array) return { $f32: Array.from(v, encodeNumber) };
  if (v instanceof Int32Array) return { $i32: Array.from(v) };
  if (v instanceof Map) {
    return { $map: [...v].map(([k, x]) => {
      if (typeof k !== 'string') throw new Error(`${where}: a Map key ${String(k)} is not a string`);
      return [k, encodeValue(x, `${where}.${k}`)];
    }) };
  }
  if (isMergeable(v)) return { $acc: v.kind, state: v.toState() };
  if (typeof v === 'object' && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (k.startsWith('$')) throw new Error(`${where}: key '${k}' starts with '$' (reserved for tags)`);
      if (x !== undefined) out[k] = encodeValue(x, `${where}.${k}`);
    }
    return out;
  }
  const what = typeof v === 'object' ? `a ${(v as object).constructor?.name ?? 'object'}` : `a ${typeof v}`;
  throw new Error(`${where}: cannot save ${what} in a partial (not a registered accumulator: metrics/accumulator.ts)`);
}

/** The value `encodeValue` saved; `where` names the file and place for errors. */
export function decodeValue(v: unknown, where: string): unknown {
  if (v === null || typeof v !== 'object') {
    if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`${where}: ${v} is not a number JSON can hold`);
    return v;
  }
  if (Array.isArray(v)) return v.map((x, i) => decodeValue(x, `${where}[${i}]`));
  const o = v as Record<string, unknown>;
  const tag = Object.keys(o).find((k) => k.startsWith('$'));
  if (tag === undefined) return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, decodeValue(x, `${where}.${k}`)]));
  if (tag === '$num') {
    const x = Number(o.$num);
    if (!['NaN', 'Infinity', '-Infinity'].includes(String(o.$num))) throw new Error(`${where}: bad $num ${JSON.stringify(o.$num)}`);
    return x;
  }
  if (tag in TYPED) {
    const arr = o[tag];
    if (!Array.isArray(arr)) throw new Error(`${where}: ${tag} must hold an array`);
    return new TYPED[tag](arr.map((x, i) => decodeValue(x, `${where}[${i}]`) as number));
  }
  if (tag === '$map') {
    if (!Array.isArray(o.$map)) throw new Error(`${where}: $map must hold [key, value] pairs`);
    return new Map(o.$map.map((e: unknown, i) => {
      if (!Array.isArray(e) || e.length !== 2 || typeof e[0] !== 'string') throw new Error(`${where}: $map entry ${i} is not a [key, value] pair`);
      return [e[0], decodeValue(e[1], `${where}.${e[0]}`)];
    }));
  }
  if (tag === '$acc') {
    if (typeof o.$acc !== 'string') throw new Error(`${where}: $acc must name a kind`);
    return accumulatorFromState(o.$acc, o.state, where);
  }
  throw new Error(`${where}: unknown tag '${tag}'`);
}

/** Top-level state fields that hold one entry per row of the matrix. */
export const isRowField = (key: string): boolean => key.startsWith('row');

export function encodeState(state: ScheduleState, rows: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(state)) {
    if (key === 'plan' || v === undefined) continue;
    if (isRowField(key) && (!Array.isArray(v) || v.length !== rows)) {
      throw new Error(`schedule state '${key}': a per-row field (its name starts with 'row') must be an array of ${rows} entries`);
    }
    out[key] = encodeValue(v, `state.${key}`);
  }
  return out;
}

// ---- the matrix ----------------------------------------------------------------------------------

export const encodeMatrix = (m: CoefficientMatrix): unknown => encodeValue({ ...m }, 'matrix');

export function decodeMatrix(v: unknown, where: string): CoefficientMatrix {
  const m = decodeValue(v, `${where} identity.matrix`) as CoefficientMatrix;
  const ok = typeof m === 'object' && m !== null && m.data instanceof Float64Array && Array.isArray(m.basis)
    && Number.isInteger(m.k) && Number.isInteger(m.m) && m.k >= 1 && m.data.length === m.k * m.m && m.basis.length === m.m;
  if (!ok) throw new Error(`${where}: identity.matrix is not a K×M coefficient matrix over its basis`);
  return m;
}

/** The rows [start, end) of `m` (their α / λ with them); the basis and the plan unchanged. */
export function subMatrix(m: CoefficientMatrix, r: Range): CoefficientMatrix {
  const sub: CoefficientMatrix = { ...m, data: m.data.slice(r.start * m.m, r.end * m.m), k: r.end - r.start };
  if (m.alphas) sub.alphas = m.alphas.slice(r.start, r.end);
  if (m.lambdas) sub.lambdas = m.lambdas.slice(r.start, r.end);
  if (m.checkpoints) sub.checkpoints = m.checkpoints.slice(r.start, r.end);
  return sub;
}

// ---- identity ------------------------------------------------------------------------------------

const sha256 = (...parts: (string | Uint8Array)[]): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

const bytesOf = (a: Float32Array | Int32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** sha256 of a checkpoint's header as read: tensor names, dtypes, shapes (sorted by name) and metadata. */
export function headerHash(c: Checkpoint): string {
  const tensors = [...c.tensors.values()].map((t) => [t.name, t.dtype, t.shape]);
  const metadata = Object.entries(c.metadata).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return sha256(JSON.stringify({ tensors, metadata }));
}

export interface IdentityInput {
  architecture: string;
  config: ModelConfig;
  checkpoints: readonly Checkpoint[];
  /** per row of the matrix: a checkpoint row's checkpoint, null for a linear row */
  rowCheckpoints?: readonly (Checkpoint | null)[];
  matrix: CoefficientMatrix;
  layers: string[];
  spec: DataSpec;
  inputs: { data: Float32Array | Int32Array; shape: number[] };
  labels?: { data: Int32Array; shape: number[] };
  batch: number;
}

export function sweepIdentity(x: IdentityInput): SweepIdentity {
  const typed = (a: Float32Array | Int32Array, shape: number[]): (string | Uint8Array)[] => [a instanceof Float32Array ? 'f32' : 'i32', JSON.stringify(shape), bytesOf(a)];
  const data = sha256(...typed(x.inputs.data, x.inputs.shape), ...(x.labels ? ['labels', ...typed(x.labels.data, x.labels.shape)] : ['no labels']));
  return {
    ctlkit: ctlkitVersion(),
    architecture: x.architecture,
    config: sha256(JSON.stringify(x.config)),
    models: x.checkpoints.map((c) => ({ path: c.path, header: headerHash(c) })),
    // only when there are checkpoint rows, so that other sweeps' identities are unchanged
    ...(x.rowCheckpoints?.some((c) => c !== null)
      ? { checkpointRows: x.rowCheckpoints.flatMap((c, row) => (c === null ? [] : [{ row, path: c.path, header: headerHash(c) }])) }
      : {}),
    matrix: encodeMatrix(x.matrix),
    layers: [...x.layers],
    inputs: {
      source: typeof x.spec.inputs === 'string' ? x.spec.inputs : 'tensor',
      key: x.spec.inputKey ?? 'inputs',
      labels: x.labels ? (typeof x.spec.labels === 'string' ? x.spec.labels : typeof x.spec.labels === 'object' ? 'tensor' : 'inputs file') : null,
      sha256: data,
    },
    selection: { samples: x.spec.samples ?? null, seed: x.spec.seed ?? 0, selected: x.inputs.shape[0] },
    batch: x.batch,
  };
}

/** The samples and rows shard `shard` covers in a sweep of this identity. */
export function coverage(id: SweepIdentity, k: number, shard: { samples: ShardSpec; rows: ShardSpec }): { samples: Range; rows: Range } {
  return { samples: sampleRange(id.selection.selected, id.batch, shard.samples), rows: rowRange(k, shard.rows) };
}

// ---- files ---------------------------------------------------------------------------------------

/** Checks that `p` (parsed JSON from `where`) is a partial and that its share follows from its shard. */
export function checkPartial(p: unknown, where: string): SweepPartial {
  const o = p as Partial<SweepPartial> | null;
  if (typeof o !== 'object' || o === null || o.format !== PARTIAL_FORMAT) {
    throw new Error(`${where}: not a ctlkit sweep partial (no "format": "${PARTIAL_FORMAT}"; write one with ctlkit sweep … --shard K/N --out part.json)`);
  }
  if (o.version !== PARTIAL_VERSION) throw new Error(`${where}: partial version ${JSON.stringify(o.version)}, this ctlkit reads version ${PARTIAL_VERSION}`);
  const id = o.identity;
  if (typeof id !== 'object' || id === null || typeof id.batch !== 'number' || typeof id.selection?.selected !== 'number' || !Array.isArray(id.layers)) {
    throw new Error(`${where}: the partial has no complete "identity"`);
  }
  if (typeof o.state !== 'object' || o.state === null || Array.isArray(o.state)) throw new Error(`${where}: the partial has no "state" object`);
  const s = o.shard;
  if (typeof s !== 'object' || s === null) throw new Error(`${where}: the partial has no "shard"`);
  checkShard(s.samples, `${where}: shard.samples`);
  checkShard(s.rows, `${where}: shard.rows`);
  const k = decodeMatrix(id.matrix, where).k;
  const want = coverage(id, k, s);
  const got = o.covers;
  for (const axis of ['samples', 'rows'] as const) {
    if (got?.[axis]?.start !== want[axis].start || got?.[axis]?.end !== want[axis].end) {
      throw new Error(`${where}: covers ${axis} ${got?.[axis] ? formatRange(got[axis]) : 'nothing'}, but shard ${s[axis].index}/${s[axis].count} covers ${formatRange(want[axis])}`);
    }
  }
  return o as SweepPartial;
}

/** Reads and checks a partial written by `ctlkit sweep … --shard`. */
export async function readPartial(file: string): Promise<SweepPartial> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new Error(`${file}: cannot read the partial (${fsReason(e)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message}); a partial cut short?`);
  }
  return checkPartial(json, file);
}
