// reduceSweeps: the partials of one sweep (partial.ts) → the results.json the unsharded run writes.
// First the parts are checked: one sweep (identical identities; the odd one out is named), no part
// given twice, and every row's samples covered exactly once (a gap names the missing shard, an
// overlap both parts). Then each accumulator is merged over the parts in sample order (sums add,
// moments by Chan et al.: metrics/accumulator.ts) and the results are built as for one run.
import { isMergeable } from '../metrics/accumulator.js';
import { checkPartial, coverage, decodeMatrix, decodeValue, isRowField, type SweepIdentity, type SweepPartial } from './partial.js';
import { DEFAULT_PLAN } from './plan.js';
import { buildResults } from './results.js';
import type { ScheduleState } from './schedule.js';
import { formatRange, formatShard, type ShardSpec } from './shard.js';
import type { SweepResults } from './types.js';

export interface ReduceOptions {
  /** A name per partial for messages (the file names); default `partial <i>`. */
  names?: readonly string[];
}

/** JSON with object keys sorted, so equal identities give equal strings. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

const short = (v: unknown): string => {
  const s = canonical(v);
  return s.length <= 80 ? s : `${s.slice(0, 77)}...`;
};

/** What differs between two identities, in words. */
function difference(a: SweepIdentity, b: SweepIdentity): string {
  const names: Record<keyof SweepIdentity, string> = {
    ctlkit: 'ctlkit version', architecture: 'architecture', config: 'model config', models: 'models', checkpointRows: 'checkpoint rows', matrix: 'coefficient matrix or plan',
    layers: 'layers', inputs: 'inputs', selection: 'sample selection (--samples/--seed)', batch: 'batch size',
  };
  for (const key of Object.keys(names) as (keyof SweepIdentity)[]) {
    if (canonical(a[key]) === canonical(b[key])) continue;
    if (key === 'models' && a.models.length === b.models.length) {
      const j = a.models.findIndex((m, i) => canonical(m) !== canonical(b.models[i]));
      const [x, y] = [a.models[j], b.models[j]];
      return x.path !== y.path ? `basis model ${j} is ${x.path}, not ${y.path}` : `basis model ${j} (${x.path}) has a different header`;
    }
    if (key === 'checkpointRows' && a.checkpointRows && b.checkpointRows && a.checkpointRows.length === b.checkpointRows.length) {
      const i = a.checkpointRows.findIndex((r, j) => canonical(r) !== canonical(b.checkpointRows![j]));
      const [x, y] = [a.checkpointRows[i], b.checkpointRows[i]];
      if (x.path === y.path) return `checkpoint row ${x.row} (${x.path}) has a different header`;
    }
    if (key === 'inputs' && a.inputs.sha256 !== b.inputs.sha256 && a.inputs.source === b.inputs.source) return `the samples read from ${a.inputs.source} differ`;
    return `${names[key]} ${short(a[key])}, not ${short(b[key])}`;
  }
  return 'identity fields differ';
}

/** The identity most parts share (ties: the first part's); the first part outside it is an error. */
function checkOneSweep(parts: readonly SweepPartial[], names: readonly string[]): void {
  const keys = parts.map((p) => canonical(p.identity));
  const counts = new Map<string, number>();
  for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  let ref = 0;
  keys.forEach((k, i) => {
    if (counts.get(k)! > counts.get(keys[ref])!) ref = i;
  });
  const odd = keys.findIndex((k) => k !== keys[ref]);
  if (odd >= 0) throw new Error(`${names[odd]}: a part of a different sweep than ${names[ref]} (${difference(parts[odd].identity, parts[ref].identity)})`);
}

const shardName = (s: { samples: ShardSpec; rows: ShardSpec }): string =>
  `--shard ${formatShard(s.samples)}${s.rows.count > 1 ? ` --rows ${formatShard(s.rows)}` : ''}`;

/** No part twice, no shard missing, every row's samples covered exactly once. */
function checkCoverage(parts: readonly SweepPartial[], names: readonly string[], k: number, n: number): void {
  const seen = new Map<string, number>();
  parts.forEach((p, i) => {
    const key = shardName(p.shard);
    const first = seen.get(key);
    if (first !== undefined) throw new Error(`${names[i]}: duplicates ${names[first]} (both are ${key})`);
    seen.set(key, i);
  });
  const counts = new Set(parts.map((p) => `${p.shard.samples.count}/${p.shard.rows.count}`));
  if (counts.size === 1) {
    const { samples: { count: ns }, rows: { count: nr } } = parts[0].shard;
    for (let r = 0; r < nr; r++) {
      for (let s = 0; s < ns; s++) {
        const shard = { samples: { index: s, count: ns }, rows: { index: r, count: nr } };
        if (seen.has(shardName(shard))) continue;
        const c = coverage(parts[0].identity, k, shard);
        throw new Error(`missing part: ${shardName(shard)} (samples ${formatRange(c.samples)}, rows ${formatRange(c.rows)}) is not among the ${parts.length} parts`);
      }
    }
  }
  // parts of different shard counts may still tile the samples: check every row
  for (let row = 0; row < k; row++) {
    const cover = parts.map((p, i) => ({ i, r: p.covers.samples }))
      .filter(({ i, r }) => r.end > r.start && parts[i].covers.rows.start <= row && row < parts[i].covers.rows.end)
      .sort((a, b) => a.r.start - b.r.start);
    let pos = 0;
    let last = -1;
    for (const { i, r } of cover) {
      if (r.start < pos) throw new Error(`${names[i]}: samples ${formatRange({ start: r.start, end: Math.min(pos, r.end) })} of row ${row} are covered by ${names[last]} too`);
      if (r.start > pos) throw new Error(`missing part: samples ${formatRange({ start: pos, end: r.start })} of row ${row} are covered by no part`);
      pos = r.end;
      last = i;
    }
    if (pos < n) throw new Error(`missing part: samples ${formatRange({ start: pos, end: n })} of row ${row} are covered by no part`);
  }
}

/** Merges `b` into `a` (decoded state values of the same shape); returns `a`. */
function mergeInto(a: unknown, b: unknown, where: string): unknown {
  if (isMergeable(a)) {
    if (!isMergeable(b)) throw new Error(`${where}: an accumulator in one part, not in another`);
    try {
      a.merge(b);
    } catch (e) {
      throw new Error(`${where}: ${(e as Error).message}`);
    }
    return a;
  }
  if (a instanceof Map) {
    if (!(b instanceof Map) || a.size !== b.size || [...a.keys()].some((key) => !b.has(key))) throw new Error(`${where}: the parts hold different layers or keys`);
    for (const [key, v] of a) mergeInto(v, b.get(key), `${where}.${key}`);
    return a;
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) throw new Error(`${where}: arrays of different lengths in the parts`);
    a.forEach((v, i) => mergeInto(v, b[i], `${where}[${i}]`));
    return a;
  }
  if (canonical(a instanceof Float64Array ? Array.from(a) : a) !== canonical(b instanceof Float64Array ? Array.from(b) : b)) {
    throw new Error(`${where}: the parts hold different values (${short(a)} vs ${short(b)})`);
  }
  return a;
}

/** Merges each value of `list` (already in sample order) into the first. */
const mergeAll = (list: readonly unknown[], where: string): unknown => list.reduce((acc, v) => mergeInto(acc, v, where));

function mergeStates(parts: readonly SweepPartial[], names: readonly string[], k: number): Record<string, unknown> {
  const keys = Object.keys(parts[0].state).sort();
  parts.forEach((p, i) => {
    if (canonical(Object.keys(p.state).sort()) !== canonical(keys)) throw new Error(`${names[i]}: its state fields (${Object.keys(p.state).join(', ')}) differ from ${names[0]}'s (${keys.join(', ')})`);
  });
  const order = parts.map((_, i) => i).sort((a, b) => parts[a].covers.samples.start - parts[b].covers.samples.start || parts[a].covers.samples.end - parts[b].covers.samples.end);
  const decoded = parts.map((p, i) => Object.fromEntries(keys.map((key) => [key, decodeValue(p.state[key], `${names[i]} state.${key}`)])));
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    if (isRowField(key)) {
      out[key] = Array.from({ length: k }, (_, row) => {
        const holders = order.filter((i) => parts[i].covers.rows.start <= row && row < parts[i].covers.rows.end);
        return mergeAll(holders.map((i) => (decoded[i][key] as unknown[])[row - parts[i].covers.rows.start]), `state.${key}[${row}]`);
      });
    } else {
      // the whole basis: every row shard holds it; those of row 0 cover every sample once
      out[key] = mergeAll(order.filter((i) => parts[i].covers.rows.start === 0).map((i) => decoded[i][key]), `state.${key}`);
    }
  }
  return out;
}

/** The results of the sweep the partials are parts of, as the unsharded run writes them. */
export function reduceSweeps(partials: readonly SweepPartial[], opts: ReduceOptions = {}): SweepResults {
  if (partials.length === 0) throw new Error('reduce: no partials given');
  const names = partials.map((_, i) => opts.names?.[i] ?? `partial ${i}`);
  const parts = partials.map((p, i) => checkPartial(p, names[i]));
  checkOneSweep(parts, names);
  const id = parts[0].identity;
  const matrix = decodeMatrix(id.matrix, names[0]);
  const n = id.selection.selected;
  checkCoverage(parts, names, matrix.k, n);
  const state = { plan: matrix.plan ?? DEFAULT_PLAN, ...mergeStates(parts, names, matrix.k) } as unknown as ScheduleState;
  return buildResults(state, {
    architecture: id.architecture,
    matrix,
    layers: [...id.layers],
    samples: n,
    backend: [...new Set(parts.map((p) => p.backend))].join('+'),
    peakRssBytes: Math.max(...parts.map((p) => p.peak_rss_bytes)),
    elapsedSeconds: parts.reduce((s, p) => s + p.elapsed_seconds, 0),
  });
}
