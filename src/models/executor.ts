// The one stage executor: forward, the sweep and stitching run a model through it. For each chunk
// of samples it uploads the chunk, runs a range of stages for a set of lanes (models sharing the
// input: one for forward, basis + rows for a sweep, the feature rows then one model for stitching),
// and owns the activations' lifetime: after each stage it releases every input a lane no longer
// holds (once per tensor: lanes may share one), on error or at the end of a chunk all of them.
import type { Backend, DeviceTensor } from '../backends/backend.js';
import type { Stage } from './family.js';

/** A chunk of samples [start, end). */
export interface Chunk {
  start: number;
  end: number;
}

export interface Lanes {
  /** Outputs of every lane at `stage` (model.stages[index]) from the lanes' inputs. An output may be
   *  one of the inputs' tensors only if it is not released (ownership moves to the output list). */
  run(stage: Stage, index: number, inputs: readonly DeviceTensor[], chunk: Chunk): Promise<DeviceTensor[]>;
  /** Sees a stage's outputs while they are alive (must not release them). May return new outputs,
   *  e.g. fewer lanes from here on (stitching); the executor then releases the old ones not kept. */
  after?(stage: Stage, index: number, outputs: readonly DeviceTensor[], chunk: Chunk): Promise<DeviceTensor[] | void>;
}

export interface HostBatch {
  /** Float32 features or int32 token ids, [N, ...] row-major. */
  data: Float32Array | Int32Array;
  shape: readonly number[];
}

export interface ExecuteOptions {
  /** Samples per chunk. */
  batch: number;
  /** First stage index to run (default 0); the inputs stand for the output of stage from − 1. */
  from?: number;
  /** Last stage index to run (inclusive). */
  to: number;
  /** Lanes at the first stage (default 1), all given the chunk's input. */
  lanes?: number;
  signal?: AbortSignal;
  /** Called after each chunk. */
  onChunk?: (chunk: Chunk) => void;
}

/** Releases each distinct tensor of `ts` that is not in `keep`. */
function releaseDropped(be: Backend, ts: readonly DeviceTensor[], keep: readonly DeviceTensor[]): void {
  const kept = new Set(keep);
  for (const t of new Set(ts)) if (!kept.has(t)) be.release(t);
}

/** Runs stages [from, to] of `stages` over `inputs` chunk by chunk (see the file comment). */
export async function executeStages(be: Backend, stages: readonly Stage[], inputs: HostBatch, lanes: Lanes, opts: ExecuteOptions): Promise<void> {
  const n = inputs.shape[0];
  const per = inputs.data.length / Math.max(n, 1);
  const from = opts.from ?? 0;
  for (let start = 0; start < n; start += opts.batch) {
    const chunk = { start, end: Math.min(n, start + opts.batch) };
    const x0 = be.upload(inputs.data.slice(chunk.start * per, chunk.end * per), [chunk.end - chunk.start, ...inputs.shape.slice(1)]);
    let live: DeviceTensor[] = Array(opts.lanes ?? 1).fill(x0);
    try {
      for (let si = from; si <= opts.to; si++) {
        opts.signal?.throwIfAborted();
        const stage = stages[si];
        const out = await lanes.run(stage, si, live, chunk);
        releaseDropped(be, live, out);
        live = out;
        const next = await lanes.after?.(stage, si, live, chunk);
        if (next) {
          releaseDropped(be, live, next);
          live = next;
        }
      }
    } finally {
      releaseDropped(be, live, []);
    }
    opts.onChunk?.(chunk);
  }
}
