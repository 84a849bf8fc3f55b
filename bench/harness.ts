// Times one op case on one backend with benchmark.js (deferred: each run awaits the op and a
// flush), and reports the median of the samples. Bench cases are test/harness OpCase records
// (same make/run/flops/bytes), plus what the bench needs: a PyTorch twin and where they run.
import Benchmark from 'benchmark';
import type { Backend, DeviceTensor } from '../src/backends/backend.js';
import type { OpCase } from '../test/harness/case_kit.js';
import { makeInputs, uploadInputs } from '../test/harness/cases.js';
import { outputTensors } from '../test/harness/compare.js';

export type Area = 'gemm' | 'conv' | 'attention' | 'combine';

/** The same op for bench/torch_ops.py (shapes as in the OpCase). */
export type TorchSpec =
  | { kind: 'matmul'; m: number; k: number; n: number; transB: boolean }
  | { kind: 'conv2d'; n: number; c: number; h: number; w: number; o: number; kh: number; kw: number;
      stride: number; padding: number; bias: boolean }
  | { kind: 'attention'; n: number; t: number; d: number; heads: number; causal: boolean }
  | { kind: 'combine'; numel: number; k: number; m: number };

export interface BenchCase {
  readonly area: Area;
  readonly op: OpCase;
  /** what the shape is (e.g. 'ResNet-18 layer2 conv, batch 32') */
  readonly label: string;
  readonly torch?: TorchSpec;
  /** small enough for the reference backend (plain TypeScript, float64 sums) */
  readonly onReference: boolean;
  /** part of `--quick` */
  readonly quick: boolean;
}

export interface Timing {
  /** median seconds of one run over benchmark.js's samples */
  medianSeconds: number;
  samples: number;
  /** benchmark.js relative margin of error of the mean, in percent */
  rme: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median: no values');
  const s = [...values].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

export interface TimeOptions {
  /** benchmark.js maxTime per case, seconds */
  maxTime: number;
  minSamples: number;
}

async function runOnce(be: Backend, c: OpCase, inputs: readonly DeviceTensor[]): Promise<void> {
  const out = await c.run(be, inputs);
  await be.flush();
  for (const t of outputTensors(out)) be.release(t);
}

/** Uploads the case's inputs once, runs it once untimed (warm-up), then times it. */
export async function timeCase(be: Backend, c: OpCase, o: TimeOptions): Promise<Timing> {
  const inputs = uploadInputs(be, makeInputs(c));
  try {
    await runOnce(be, c, inputs);
    const bench = await new Promise<Benchmark>((resolve, reject) => {
      let failure: Error | undefined;
      const b: Benchmark = new Benchmark(c.vars(), {
        defer: true,
        maxTime: o.maxTime,
        minSamples: o.minSamples,
        fn: (deferred: { resolve(): void }) => {
          runOnce(be, c, inputs).then(
            () => deferred.resolve(),
            (e: Error) => {
              failure = e;
              b.abort();
              deferred.resolve();
            },
          );
        },
        onComplete: () => (failure ? reject(failure) : resolve(b)),
        onAbort: () => reject(failure ?? new Error(`${c.vars()}: benchmark aborted`)),
        onError: () => reject(failure ?? b.error),
      });
      b.run({ async: true });
    });
    const med = median(bench.stats.sample);
    return { medianSeconds: med, samples: bench.stats.sample.length, rme: bench.stats.rme };
  } finally {
    for (const t of inputs) be.release(t);
  }
}
