// Weight combination: K output tensors from M basis tensors, float64 sums rounded once to float32.
import type { DeviceTensor } from '../backend.js';
import type { OpPlan } from '../ops.js';
import { f32, wrap, type RefTensor } from './tensor_store.js';

/** The basis tensors' data (each checked to be a live tensor of this backend). */
export function basisData(op: string, basis: readonly DeviceTensor[]): Float32Array[] {
  return basis.map((t, j) => f32(op, `basis[${j}]`, t).data);
}

// Out_k = Σ_j C[k, j] · basis_j   (C is K×M row-major)
export function combine(p: OpPlan<'combine'>, basis: readonly DeviceTensor[], coeffs: Float64Array): RefTensor[] {
  const data = basisData('combine', basis);
  const { k, m } = p;
  const outs: RefTensor[] = [];
  for (let r = 0; r < k; r++) {
    const out = new Float32Array(data[0].length);
    for (let i = 0; i < out.length; i++) {
      let s = 0;
      for (let j = 0; j < m; j++) s += coeffs[r * m + j] * data[j][i];
      out[i] = s;
    }
    outs.push(wrap(out, p.shape));
  }
  return outs;
}
