// Task-vector sparsification, after mergekit/sparsify.py (magnitude, bernoulli, magnitude_outliers,
// della_magprune, rescaled_masked_tensor). Ties in |x| are broken by index, so every backend keeps
// the same elements: "the k largest" means the k largest (|x|, −index) pairs.
import { keeps, streamKey } from './rng.js';

/** How a masked task vector is rescaled: mergekit's `rescale: true` keeps the L1 norm. */
export type Rescale = 'l1' | null;

/** masked = x·mask; with L1 rescale, masked · (Σ|x| / Σ|masked|) unless either sum is < 1e-7
 *  (mergekit sparsify.py rescaled_masked_tensor). */
export function rescaledMasked(x: Float32Array, mask: Uint8Array, rescale: Rescale): Float64Array {
  const out = new Float64Array(x.length);
  let before = 0;
  let after = 0;
  for (let i = 0; i < x.length; i++) {
    before += Math.abs(x[i]);
    if (mask[i]) {
      out[i] = x[i];
      after += Math.abs(x[i]);
    }
  }
  if (rescale === null || before < 1e-7 || after < 1e-7) return out;
  const s = before / after;
  for (let i = 0; i < out.length; i++) out[i] *= s;
  return out;
}

/** Indices sorted by (|x|, index) ascending. */
function ascendingOrder(x: Float32Array): Uint32Array {
  const idx = Uint32Array.from(x, (_, i) => i);
  return idx.sort((a, b) => Math.abs(x[a]) - Math.abs(x[b]) || a - b);
}

/** Mask keeping ranks [lo, hi) of the (|x|, index) ascending order. */
function rankBandMask(x: Float32Array, lo: number, hi: number): Uint8Array {
  const order = ascendingOrder(x);
  const mask = new Uint8Array(x.length);
  for (let r = lo; r < hi; r++) mask[order[r]] = 1;
  return mask;
}

/** Mask of the k largest |x| (ties: lower index first). */
export function topKMask(x: Float32Array, k: number): Uint8Array {
  const mask = new Uint8Array(x.length);
  if (k <= 0) return mask;
  if (k >= x.length) return mask.fill(1);
  const sorted = Float32Array.from(x, Math.abs).sort();
  const thr = sorted[x.length - k];
  let need = k;
  for (let i = 0; i < x.length; i++) if (Math.abs(x[i]) > thr) need--;
  for (let i = 0; i < x.length; i++) {
    const a = Math.abs(x[i]);
    if (a > thr || (a === thr && need-- > 0)) mask[i] = 1;
  }
  return mask;
}

/** TIES trim: keep the int(density·n) largest magnitudes (mergekit magnitude). density ≥ 1 keeps all
 *  without rescaling; k = 0 keeps nothing (mergekit asserts instead). */
export function magnitude(x: Float32Array, density: number, rescale: Rescale): Float64Array {
  if (density >= 1) return Float64Array.from(x);
  return rescaledMasked(x, topKMask(x, Math.floor(density * x.length)), rescale);
}

/** DARE drop: keep each element with probability `density` (mergekit bernoulli), seeded stream. */
export function bernoulli(x: Float32Array, density: number, rescale: Rescale, key: [number, number]): Float64Array {
  if (density >= 1) return Float64Array.from(x);
  const mask = new Uint8Array(x.length);
  for (let i = 0; i < x.length; i++) mask[i] = keeps(key[0], key[1], i, density) ? 1 : 0;
  return rescaledMasked(x, mask, rescale);
}

/** Breadcrumbs: drop the int(γ·n) largest and the smallest so int(density·n) remain
 *  (mergekit magnitude_outliers). Fixed here: mergekit's `indices[n_bot:-n_top]` is empty when
 *  n_top = 0 (γ·n < 1), zeroing the whole task vector; ranks [n_bot, n − n_top) are kept instead. */
export function magnitudeOutliers(x: Float32Array, density: number, gamma: number, rescale: Rescale): Float64Array {
  if (density >= 1) return Float64Array.from(x);
  const n = x.length;
  const target = Math.floor(density * n);
  let nTop = Math.floor(gamma * n);
  let nBot = n - target - nTop;
  if (nBot < 0) {
    nTop += nBot;
    nBot = 0;
  }
  return rescaledMasked(x, rankBandMask(x, nBot, n - nTop), rescale);
}

/** DELLA MagPrune: within each row (dim 1 of the tensor; a vector is one row), the element of
 *  magnitude rank r (1 = smallest) of m is kept with p = density − ε + 2ε·(r − 1)/(m − 1)
 *  (mergekit della_magprune); a row of one element uses p = density (mergekit divides 0 by 0). */
export function dellaMagprune(x: Float32Array, shape: readonly number[], density: number, epsilon: number, rescale: Rescale, key: [number, number], what: string): Float64Array {
  if (density >= 1) return Float64Array.from(x);
  if (density <= 0) return new Float64Array(x.length);
  if (density + epsilon >= 1 || density - epsilon <= 0) {
    throw new Error(`${what}: epsilon ${epsilon} must keep density ± epsilon inside (0, 1) (density ${density})`);
  }
  const outer = shape.length < 2 ? 1 : shape[0];
  const m = shape.length < 2 ? x.length : shape[1];
  const inner = shape.length < 2 ? 1 : x.length / (outer * m);
  const mask = new Uint8Array(x.length);
  const row = new Float32Array(m);
  for (let o = 0; o < outer; o++) {
    for (let q = 0; q < inner; q++) {
      const at = (j: number) => (o * m + j) * inner + q;
      for (let j = 0; j < m; j++) row[j] = x[at(j)];
      const order = ascendingOrder(row);
      for (let r = 0; r < m; r++) {
        const i = at(order[r]);
        const p = m === 1 ? density : density - epsilon + (2 * epsilon * r) / (m - 1);
        mask[i] = keeps(key[0], key[1], i, p) ? 1 : 0;
      }
    }
  }
  return rescaledMasked(x, mask, rescale);
}

export { streamKey };
