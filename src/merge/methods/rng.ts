// Counter-based random streams for DARE / DELLA: the draw for element i of model j of tensor T is
// a pure function of (seed, T, j, i), so results do not depend on thread count, chunking or backend.
// Identical in native/ops/merge.cpp (merge_uniform32) and tools/merge_reference.py (uniform32).

/** lowbias32 integer finalizer (C. Wellons): a bijection on u32 with good avalanche. */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** FNV-1a 32-bit over UTF-8 bytes. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(s)) h = Math.imul(h ^ b, 0x01000193);
  return h >>> 0;
}

/** The stream key [k0, k1] of one model's tensor: FNV-1a of "seed\0name\0index", then mixed. */
export function streamKey(seed: number, tensor: string, index: number): [number, number] {
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`--seed: expected an integer in [0, 4294967295], got ${seed}`);
  const k0 = fnv1a(`${seed}\0${tensor}\0${index}`);
  return [k0, mix32((k0 ^ 0x9e3779b9) >>> 0)];
}

/** u32 draw for element i (i < 2^32): mix32(mix32(i ^ k0) + k1). */
export function draw32(k0: number, k1: number, i: number): number {
  return mix32((mix32((i ^ k0) >>> 0) + k1) >>> 0);
}

/** Keep element i with probability p: draw32 < p · 2^32. */
export const keeps = (k0: number, k1: number, i: number, p: number): boolean => draw32(k0, k1, i) < p * 4294967296;
