// WeightSum helpers: telling a sum from a tensor, and taking apart arguments that may hold one.
import type { DeviceTensor, Weight, WeightSum } from './backend.js';

export function isWeightSum(w: Weight | null | undefined): w is WeightSum {
  return typeof w === 'object' && w !== null && 'basis' in w && 'coeffs' in w;
}

/** A WeightSum over `basis` with row `coeffs` (one coefficient per basis tensor). */
export function weightSum(basis: readonly DeviceTensor[], coeffs: Float64Array): WeightSum {
  return { basis: [...basis], coeffs };
}
