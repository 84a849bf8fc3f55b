// Comparing a backend's op outputs with the reference's: normalised MSE (Σ(a − b)² / Σ b²) over
// finite positions, plus an exact check that NaN, +Inf and −Inf sit at the same positions (a NaN
// where the reference has none fails, and vice versa), exact shapes and dtypes.
//
// Guard values around outputs (ggml's out-of-bounds write check) cannot be tested here: the harness
// sees tensors only through Backend.read, never the device buffers around them. Each backend checks
// guard values in its own native tests. What the harness does check instead: the output is a fresh
// tensor (not an input object) and every input reads back unchanged after the op.
import type { Backend, DeviceTensor, FeatureProducts } from '../../src/backends/backend.js';
import { isDeviceTensor, type CaseOutput, type HostTensor, type Tolerance } from './case_kit.js';

export interface HostOutput {
  /** 'out', 'out[k]' (combine), 'dot' / 'ff' / 'gg' (featureStats) or 'dots[i]' / 'ff[i]' (featureProducts) */
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'int32' | 'float64';
  readonly data: Float32Array | Int32Array | Float64Array;
}

const isStats = (o: CaseOutput): o is { dot: Float64Array; ff: Float64Array; gg: Float64Array } =>
  !Array.isArray(o) && 'dot' in o && 'ff' in o && 'gg' in o;

const isProducts = (o: CaseOutput): o is FeatureProducts[] =>
  Array.isArray(o) && o.length > 0 && !('shape' in o[0]) && 'dots' in o[0];

/** The output tensors of a case result (none for featureStats / featureProducts: host arrays). */
export function outputTensors(o: CaseOutput): DeviceTensor[] {
  if (Array.isArray(o)) return (o as unknown[]).filter(isDeviceTensor);
  return isDeviceTensor(o) ? [o] : [];
}

/** Reads a case result back to host arrays, named and shaped. */
export async function readOutputs(be: Backend, o: CaseOutput): Promise<HostOutput[]> {
  if (isStats(o)) {
    return (['dot', 'ff', 'gg'] as const).map((name) => ({
      name, shape: [o[name].length], dtype: 'float64' as const, data: o[name].slice(),
    }));
  }
  if (isProducts(o)) {
    return o.flatMap((p, i) => (['dots', 'ff'] as const).map((name) => ({
      name: `${name}[${i}]`, shape: [p[name].length], dtype: 'float64' as const, data: p[name].slice(),
    })));
  }
  const list = outputTensors(o);
  return Promise.all(list.map(async (t, k) => ({
    name: Array.isArray(o) ? `out[${k}]` : 'out',
    shape: [...t.shape],
    dtype: t.dtype,
    data: await be.read(t),
  })));
}

type Kind = 'finite' | 'NaN' | '+Inf' | '-Inf';
const kindOf = (v: number): Kind =>
  Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : 'finite';

/** Positions where one side is NaN/±Inf and the other is not the same kind (at most `limit` listed). */
export function nonfiniteMismatches(got: ArrayLike<number>, want: ArrayLike<number>, limit = 5): string[] {
  const out: string[] = [];
  let count = 0;
  for (let i = 0; i < want.length; i++) {
    const g = kindOf(got[i]);
    const w = kindOf(want[i]);
    if (g === w) continue;
    if (++count <= limit) out.push(`[${i}] got ${g === 'finite' ? got[i] : g}, reference ${w === 'finite' ? want[i] : w}`);
  }
  if (count > limit) out.push(`… ${count - limit} more`);
  return out;
}

/** Σ(a − b)² / Σ b² over positions where both are finite; 0/0 counts as 0 and e/0 as Infinity. */
export function nmse(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let err = 0;
  let norm = 0;
  for (let i = 0; i < want.length; i++) {
    const a = got[i];
    const b = want[i];
    if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
    err += (a - b) * (a - b);
    norm += b * b;
  }
  if (norm === 0) return err === 0 ? 0 : Infinity;
  return err / norm;
}

/** The finite position with the largest |a − b|, for failure messages. */
function worst(got: ArrayLike<number>, want: ArrayLike<number>): string {
  let at = -1;
  let max = -1;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (Number.isFinite(d) && d > max) {
      max = d;
      at = i;
    }
  }
  return at < 0 ? '' : `; worst |Δ| = ${max} at [${at}]: got ${got[at]}, reference ${want[at]}`;
}

const shapeText = (s: readonly number[]): string => `[${s.join(', ')}]`;

/** Problems of one output against the reference's (empty when it passes) and its nmse. */
export function compareOutput(got: HostOutput, want: HostOutput, tol: Tolerance): { nmse: number; problems: string[] } {
  const problems: string[] = [];
  if (shapeText(got.shape) !== shapeText(want.shape)) {
    problems.push(`${want.name}: shape ${shapeText(got.shape)}, reference ${shapeText(want.shape)}`);
  }
  if (got.dtype !== want.dtype) problems.push(`${want.name}: dtype ${got.dtype}, reference ${want.dtype}`);
  if (got.data.length !== want.data.length) {
    problems.push(`${want.name}: ${got.data.length} elements, reference ${want.data.length}`);
    return { nmse: Infinity, problems };
  }
  for (const m of nonfiniteMismatches(got.data, want.data)) problems.push(`${want.name}: non-finite mismatch ${m}`);
  const e = nmse(got.data, want.data);
  if (!(e <= tol.nmse)) {
    problems.push(`${want.name}: nmse ${e} > ${tol.nmse} (${tol.reason})${worst(got.data, want.data)}`);
  }
  return { nmse: e, problems };
}

/** Problems with the inputs after an op: any input that no longer reads back as it was uploaded. */
export async function changedInputs(be: Backend, inputs: readonly DeviceTensor[], hosts: readonly HostTensor[]): Promise<string[]> {
  const problems: string[] = [];
  for (let i = 0; i < inputs.length; i++) {
    const back = await be.read(inputs[i]);
    const want = hosts[i].data;
    const same = back.length === want.length &&
      want.every((v, j) => v === back[j] || (Number.isNaN(v) && Number.isNaN(back[j])));
    if (!same) problems.push(`input ${i} changed by the op (inputs must never be modified)`);
  }
  return problems;
}
