// Generalized task arithmetic (mergekit merge_methods/generalized_task_arithmetic.py, GTATask.execute
// and get_mask): δ_i = θ_i − θ_base (float32), optionally sparsified, weighted by w_i; with sign
// consensus the TIES "disjoint mean" keeps the weighted deltas whose sign matches the elected one.
//   θ = θ_base + λ · Σ_i w_i δ'_i m_i / D,   D = Σ_i w_i m_i (0 → 1) when normalize, else D = 1.
// Without consensus m_i = 1 and D = Σ w_i (|D| < 1e-8 → 1).
import type { MergeMethod, ParamDef, TensorJob } from './types.js';
import { num } from './types.js';
import type { Rescale } from './sparsify.js';

/** Sparsifies one task vector (float32 δ) into float64 δ'. */
export type Sparsifier = (delta: Float32Array, job: TensorJob, input: number, rescale: Rescale) => Float64Array;

export interface GtaSpec {
  name: string;
  consensus: boolean;
  sparsify: Sparsifier | null;
  normalize: boolean;
  rescale: boolean;
  extraTensorParams?: ParamDef[];
  random?: boolean;
  source: string;
}

/** δ = fround(x − base), as mergekit computes it in float32. */
export function taskVector(x: Float32Array, base: Float32Array): Float32Array {
  const d = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) d[i] = x[i] - base[i];
  return d;
}

export function gtaMerge(spec: GtaSpec, job: TensorJob): Float64Array {
  const base = job.base!;
  const n = base.length;
  const lambda = num(job.global.lambda, 'lambda');
  const normalize = job.global.normalize === true;
  const rescale: Rescale = job.global.rescale === true ? 'l1' : null;
  const paper = job.global.sign_election === 'paper';
  const w = job.inputs.map((x) => num(x.params.weight, `${job.name}: weight`));
  const deltas = job.inputs.map((x, j) => {
    const d = taskVector(x.data, base);
    return spec.sparsify ? spec.sparsify(d, job, j, rescale) : Float64Array.from(d);
  });
  const out = new Float64Array(n);
  const m = deltas.length;
  const wsum = w.reduce((a, b) => a + b, 0);
  for (let i = 0; i < n; i++) {
    let mixed = 0;
    let div = 0;
    if (spec.consensus) {
      // elected sign: sign of Σ w_i δ'_i (mergekit), or of Σ δ'_i (the TIES paper), ≥ 0 → +1
      let s = 0;
      for (let j = 0; j < m; j++) s += paper ? deltas[j][i] : w[j] * deltas[j][i];
      const elected = s >= 0 ? 1 : -1;
      for (let j = 0; j < m; j++) {
        const wd = w[j] * deltas[j][i];
        if (Math.sign(paper ? deltas[j][i] : wd) === elected) {
          mixed += wd;
          div += w[j];
        }
      }
      if (div === 0) div = 1;
    } else {
      for (let j = 0; j < m; j++) mixed += w[j] * deltas[j][i];
      div = Math.abs(wsum) < 1e-8 ? 1 : wsum;
    }
    if (normalize) mixed /= div;
    out[i] = base[i] + lambda * mixed;
  }
  return out;
}

/** A GTA method's definition, with mergekit's parameter list and defaults. */
export function gtaMethod(spec: GtaSpec): MergeMethod {
  const params: ParamDef[] = [
    { name: 'int8_mask', kind: 'bool', default: false },
    { name: 'normalize', kind: 'bool', default: spec.normalize },
    { name: 'rescale', kind: 'bool', default: spec.rescale },
    { name: 'lambda', kind: 'number', default: 1 },
  ];
  if (spec.consensus) params.push({ name: 'sign_election', kind: 'string', default: 'mergekit', choices: ['mergekit', 'paper'] });
  return {
    name: spec.name,
    base: 'required',
    inputs: 'others',
    minInputs: 0,
    params,
    tensorParams: [
      { name: 'weight', kind: 'number', required: true },
      { name: 'density', kind: 'number', default: 1 },
      ...(spec.extraTensorParams ?? []),
    ],
    random: spec.random,
    merge: (job) => (job.inputs.length === 0 ? Float64Array.from(job.base!) : gtaMerge(spec, job)),
    source: spec.source,
  };
}
