// Deterministic subsampling of dim 0: `count` distinct indices out of `total`, from a seeded PRNG
// (mulberry32 + partial Fisher–Yates), returned in ascending order.

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function sampleIndices(total: number, count: number, seed: number): Int32Array {
  if (!Number.isInteger(count) || count < 1) throw new Error(`--samples: expected a positive integer, got ${count}`);
  if (!Number.isInteger(seed)) throw new Error(`--seed: expected an integer, got ${seed}`);
  if (count >= total) return Int32Array.from({ length: total }, (_, i) => i);
  const idx = Int32Array.from({ length: total }, (_, i) => i);
  const rand = mulberry32(seed);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(rand() * (total - i));
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
  return idx.slice(0, count).sort();
}

/** Rows `idx` of a row-major [N, ...] array. */
export function gatherRows<T extends Float32Array | Int32Array>(data: T, n: number, idx: Int32Array): T {
  const per = data.length / n;
  const out = new (data.constructor as { new (len: number): T })(idx.length * per);
  idx.forEach((r, i) => out.set(data.subarray(r * per, (r + 1) * per), i * per));
  return out;
}
