// Weight combination: K output tensors from M basis tensors, float64 sums rounded once to float32.
import { sameShape, shapeStr } from '../../tensor.js';
import type { DeviceTensor } from '../backend.js';
import { expectInt, f32, wrap, type RefTensor } from './tensor_store.js';

/** Checks a non-empty basis of float32 tensors sharing one shape; returns their data. */
export function basisData(op: string, basis: readonly DeviceTensor[], shape: readonly number[] | null): Float32Array[] {
  if (!Array.isArray(basis) || basis.length < 1) throw new Error(`${op}: basis must hold at least one tensor`);
  const want = shape ?? f32(op, 'basis[0]', basis[0]).shape;
  return basis.map((t, j) => {
    const b = f32(op, `basis[${j}]`, t);
    if (!sameShape(b.shape, want)) {
      throw new Error(`${op}: basis[${j}] has shape ${shapeStr(b.shape)}, expected ${shapeStr(want)}${shape ? '' : ' (the shape of basis[0])'}`);
    }
    return b.data;
  });
}

// Out_k = Σ_j C[k, j] · basis_j   (C is K×M row-major)
export function combine(basis: readonly DeviceTensor[], coeffs: Float64Array, k: number): RefTensor[] {
  const data = basisData('combine', basis, null);
  expectInt('combine', 'k', k, 1);
  const m = data.length;
  if (!(coeffs instanceof Float64Array) || coeffs.length !== k * m) {
    throw new Error(`combine: coeffs must be a Float64Array of K·M = ${k}·${m} = ${k * m} values, got ${coeffs?.length}`);
  }
  const shape = basis[0].shape;
  const outs: RefTensor[] = [];
  for (let r = 0; r < k; r++) {
    const out = new Float32Array(data[0].length);
    for (let i = 0; i < out.length; i++) {
      let s = 0;
      for (let j = 0; j < m; j++) s += coeffs[r * m + j] * data[j][i];
      out[i] = s;
    }
    outs.push(wrap(out, shape));
  }
  return outs;
}
