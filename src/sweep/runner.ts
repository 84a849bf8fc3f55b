// runSweep: a basis of checkpoints and a K×M coefficient matrix → results.json. Everything is
// validated from headers and host inputs first; then the streaming schedule runs (schedule.ts).
// With `shard` (of the samples, in whole chunks) and/or `rows`, it runs that share only and returns
// a partial (partial.ts) for reduceSweeps (reduce.ts).
import type { Backend } from '../backends/backend.js';
import type { MetricName } from '../metrics/metric_names.js';
import type { CoefficientMatrix } from './coefficients.js';
import { peakRssBytes } from './peak_rss.js';
import { closeAll } from '../io/checkpoint_set.js';
import { prepare, type DataSpec, type Prepared } from './prepare.js';
import { buildResults } from './results.js';
import { runSchedule, type MemoryLimits, type SweepProgress } from './schedule.js';
import type { SweepResults } from './types.js';
import { encodeState, subMatrix, sweepIdentity, type SweepPartial } from './partial.js';
import { checkShard, rowRange, sampleRange, type ShardSpec } from './shard.js';
import { checkMatrix, resolveLayers } from './validate.js';
import { rowCheckpointPaths } from './checkpoint_rows.js';

export type { SweepProgress } from './schedule.js';

export interface SweepSpec extends DataSpec {
  /** The basis (matrix.basis: checkpoint paths) and the K×M coefficients; rows whose weights are a
   *  checkpoint of their own (a TIES / DARE merge) are added with withCheckpointRows
   *  (checkpoint_rows.ts), their coefficients the comparison target only. */
  matrix: CoefficientMatrix;
  /** Hooks to measure (default: all hooks of the architecture). */
  layers?: string[];
  /** `--metric`: the dissimilarities to report (default: today's cosine output). */
  metrics?: MetricName[];
}

export interface SweepOptions {
  backend: Backend;
  /** Samples per chunk (default 32). */
  batch?: number;
  signal?: AbortSignal;
  onProgress?: (p: SweepProgress) => void;
  /** When the basis is streamed per stage and when the last stage's rows are reduced one at a time
   *  (defaults: schedule.ts BASIS_CACHE_BYTES, FEATURE_BYTES). */
  memory?: MemoryLimits;
  /** Host bytes the pooled metrics may hold (`--max-memory`; default half the machine's memory). */
  maxMemory?: number;
}

/** A share of the sweep: shard `shard.index` of `shard.count` of the samples (whole chunks of
 *  `batch`), and/or of the rows. Either one makes runSweep return a partial. */
export interface ShareOptions {
  shard?: ShardSpec;
  rows?: ShardSpec;
}

export function runSweep(spec: SweepSpec, opts: SweepOptions & ({ shard: ShardSpec } | { rows: ShardSpec })): Promise<SweepPartial>;
export function runSweep(spec: SweepSpec, opts: SweepOptions & { shard?: undefined; rows?: undefined }): Promise<SweepResults>;
export function runSweep(spec: SweepSpec, opts: SweepOptions & ShareOptions): Promise<SweepResults | SweepPartial>;
export async function runSweep(spec: SweepSpec, opts: SweepOptions & ShareOptions): Promise<SweepResults | SweepPartial> {
  const t0 = performance.now();
  const batch = opts.batch ?? 32;
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`runSweep: batch must be a positive integer, got ${batch}`);
  const { matrix } = spec;
  checkMatrix(matrix, matrix.basis.length);
  const split = opts.shard !== undefined || opts.rows !== undefined;
  const shard = { samples: opts.shard ?? { index: 0, count: 1 }, rows: opts.rows ?? { index: 0, count: 1 } };
  checkShard(shard.samples, 'runSweep shard');
  checkShard(shard.rows, 'runSweep rows');
  const rows = rowRange(matrix.k, shard.rows);
  if (split && spec.metrics?.some((m) => m !== 'cosine')) {
    throw new Error(`--metric ${spec.metrics.join(',')}: a sharded sweep (--shard/--rows) reduces the cosine metrics only; run the other metrics unsharded`);
  }
  opts.signal?.throwIfAborted();
  const own = rowCheckpointPaths(matrix);
  const prep = await prepare(matrix.basis, spec, own.paths.map((p, i) => ({ path: p, name: matrix.checkpoints![own.of.indexOf(i)]!.name })));
  try {
    const rowCheckpoints = matrix.checkpoints ? own.of.map((i) => (i < 0 ? null : prep.rowCheckpoints[i])) : undefined;
    const layers = resolveLayers(prep.model, spec.layers);
    const share = sampleRange(prep.inputs.shape[0], batch, shard.samples);
    const sliced = split ? sliceSamples(prep, share.start, share.end) : prep;
    const samples = sliced.inputs.shape[0];
    opts.onProgress?.({ phase: 'validate', samplesDone: 0, samplesTotal: samples });
    const state = await runSchedule(
      {
        model: prep.model, checkpoints: prep.checkpoints, matrix: split ? subMatrix(matrix, rows) : matrix, inputs: sliced.inputs, labels: sliced.labels, layers, metrics: spec.metrics,
        rowCheckpoints: split ? rowCheckpoints?.slice(rows.start, rows.end) : rowCheckpoints,
      },
      { backend: opts.backend, batch, signal: opts.signal, onProgress: opts.onProgress, memory: opts.memory, maxMemory: opts.maxMemory },
    );
    await opts.backend.flush();
    opts.onProgress?.({ phase: 'done', samplesDone: samples, samplesTotal: samples });
    if (split) {
      return {
        format: 'ctlkit-sweep-partial',
        version: 1,
        identity: sweepIdentity({ architecture: prep.model.config.architecture, config: prep.model.config, checkpoints: prep.checkpoints, rowCheckpoints, matrix, layers, spec, inputs: prep.inputs, labels: prep.labels, batch }),
        shard,
        covers: { samples: share, rows },
        backend: opts.backend.name,
        peak_rss_bytes: peakRssBytes(),
        elapsed_seconds: (performance.now() - t0) / 1000,
        state: encodeState(state, rows.end - rows.start),
      };
    }
    return buildResults(state, {
      architecture: prep.model.config.architecture,
      matrix,
      layers,
      samples,
      backend: opts.backend.name,
      peakRssBytes: peakRssBytes(),
      elapsedSeconds: (performance.now() - t0) / 1000,
    });
  } finally {
    await closeAll([...prep.checkpoints, ...prep.rowCheckpoints]);
  }
}

/** Samples [start, end) of the prepared inputs and labels (labels: one or more per sample). */
function sliceSamples(p: Pick<Prepared, 'inputs' | 'labels'>, start: number, end: number): Pick<Prepared, 'inputs' | 'labels'> {
  const rows = <T extends Float32Array | Int32Array>(t: { data: T; shape: number[] }) => {
    const per = t.data.length / t.shape[0];
    return { data: t.data.slice(start * per, end * per) as T, shape: [end - start, ...t.shape.slice(1)] };
  };
  return { inputs: rows(p.inputs), labels: p.labels && rows(p.labels) };
}
