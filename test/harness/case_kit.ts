// The pieces op cases are made of: the OpCase record, tolerance tiers with their reasons, and
// seeded input makers. The case lists are in cases_*.ts; test/harness/cases.ts gathers them.
import type { Backend, DeviceTensor, FeatureProducts, FeatureStats, OpName } from '../../src/backends/backend.js';
import { numel } from '../../src/tensor.js';
import type { Rng } from './rng.js';

export interface HostTensor {
  readonly data: Float32Array | Int32Array;
  readonly shape: readonly number[];
}

/** What an op returns: one tensor, K tensors (combine), or per-sample float64 sums (featureStats). */
export type CaseOutput = DeviceTensor | DeviceTensor[] | FeatureStats | FeatureProducts[];

/** A backend tensor, as opposed to the host arrays featureStats / featureProducts return. */
export const isDeviceTensor = (o: unknown): o is DeviceTensor =>
  typeof o === 'object' && o !== null && 'shape' in o && 'dtype' in o;

export interface Tolerance {
  /** bound on Σ(a − b)² / Σ b² per output */
  readonly nmse: number;
  readonly reason: string;
}

export interface OpCase {
  readonly op: OpName;
  /** printable parameters, e.g. `conv2d(N=2,C=3,H=7,W=5,O=4,k=3x3,s=2,p=1,d=1,g=1)`; filters match on it */
  vars(): string;
  /** the inputs, as host arrays, in the order `run` receives them uploaded */
  make(rng: Rng): HostTensor[];
  run(be: Backend, inputs: readonly DeviceTensor[]): Promise<CaseOutput>;
  readonly tol: Tolerance;
  /** floating-point operations of one run (2 per multiply-add), for the bench's GFLOP/s */
  readonly flops?: number;
  /** bytes read plus written by one run, for the bench's GB/s */
  readonly bytes?: number;
}

export const TOL = {
  exact: { nmse: 0, reason: 'data movement, selection or one correctly rounded float32 op: bit-exact' },
  elementwise: { nmse: 1e-12, reason: 'a few float32 roundings per element' },
  transcendental: { nmse: 1e-10, reason: 'float32 erf/tanh approximations (~1e-6 relative)' },
  reduction: { nmse: 1e-9, reason: 'float32 accumulation over up to ~10^4 terms vs the float64 reference' },
  stats: { nmse: 1e-9, reason: 'float64 sums; a backend without f64 (WGSL) keeps float32 partial sums' },
} as const satisfies Record<string, Tolerance>;

// ---- input makers ----
const hostF32 = (shape: readonly number[], fill: () => number): HostTensor => {
  const data = new Float32Array(numel(shape));
  for (let i = 0; i < data.length; i++) data[i] = fill();
  return { data, shape };
};
export const randn = (rng: Rng, shape: readonly number[], scale = 1, offset = 0): HostTensor =>
  hostF32(shape, () => offset + scale * rng.normal());
export const uniform = (rng: Rng, shape: readonly number[], lo: number, hi: number): HostTensor =>
  hostF32(shape, () => rng.uniform(lo, hi));
/** Overwrites every `every`-th element, from index 0, with NaN, +Inf, −Inf in turn. */
export const nonfinite = (t: HostTensor, every: number): HostTensor => {
  const specials = [NaN, Infinity, -Infinity];
  for (let i = 0, s = 0; i < t.data.length; i += every, s++) t.data[i] = specials[s % 3];
  return t;
};
export const nanAt = (t: HostTensor, positions: readonly number[]): HostTensor => {
  for (const p of positions) t.data[p] = NaN;
  return t;
};
export const sh = (shape: readonly number[]): string => `[${shape.join(',')}]`;
export const b01 = (v: boolean): number => (v ? 1 : 0);

