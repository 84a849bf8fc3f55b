// runSweep: a basis of checkpoints and a K×M coefficient matrix → results.json. Everything is
// validated from headers and host inputs first; then the streaming schedule runs (schedule.ts).
import type { Backend } from '../backends/backend.js';
import type { MetricName } from '../metrics/metric_names.js';
import type { CoefficientMatrix } from './coefficients.js';
import { peakRssBytes } from './peak_rss.js';
import { closeAll } from '../io/checkpoint_set.js';
import { prepare, type DataSpec } from './prepare.js';
import { buildResults } from './results.js';
import { runSchedule, type SweepProgress } from './schedule.js';
import type { SweepResults } from './types.js';
import { checkMatrix, resolveLayers } from './validate.js';

export type { SweepProgress } from './schedule.js';

export interface SweepSpec extends DataSpec {
  /** The basis (matrix.basis: checkpoint paths) and the K×M coefficients. */
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
  /** Host bytes the pooled metrics may hold (`--max-memory`; default half the machine's memory). */
  maxMemory?: number;
}

export async function runSweep(spec: SweepSpec, opts: SweepOptions): Promise<SweepResults> {
  const t0 = performance.now();
  const batch = opts.batch ?? 32;
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`runSweep: batch must be a positive integer, got ${batch}`);
  const { matrix } = spec;
  checkMatrix(matrix, matrix.basis.length);
  opts.signal?.throwIfAborted();
  const prep = await prepare(matrix.basis, spec);
  try {
    const layers = resolveLayers(prep.model, spec.layers);
    const samples = prep.inputs.shape[0];
    opts.onProgress?.({ phase: 'validate', samplesDone: 0, samplesTotal: samples });
    const state = await runSchedule(
      { model: prep.model, checkpoints: prep.checkpoints, matrix, inputs: prep.inputs, labels: prep.labels, layers, metrics: spec.metrics },
      { backend: opts.backend, batch, signal: opts.signal, onProgress: opts.onProgress, maxMemory: opts.maxMemory },
    );
    await opts.backend.flush();
    opts.onProgress?.({ phase: 'done', samplesDone: samples, samplesTotal: samples });
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
    await closeAll(prep.checkpoints);
  }
}
