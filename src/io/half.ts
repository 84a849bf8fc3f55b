// IEEE half (F16) and bfloat16 (BF16) ⇄ float32 conversions. Bits are little-endian u16 values.
// Float32 → half uses round-to-nearest-even; overflow goes to ±inf, NaN stays NaN.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Value of one F16 bit pattern: (-1)^s · 2^(e-15) · 1.m, subnormals 2^-24 · m, e = 31 → inf/NaN. */
export function f16BitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

let f16Table: Float32Array | undefined;

/** F16 bits → float32 (via a 65536-entry table built on first use), written to `out` from index `at`. */
export function f16ToFloat32(src: Uint16Array, out = new Float32Array(src.length), at = 0): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = f16BitsToNumber(h);
  }
  const table = f16Table;
  for (let i = 0; i < src.length; i++) out[at + i] = table[src[i]];
  return out;
}

/** BF16 bits → float32 (the bits are the top half of a float32), written to `out` from index `at`. */
export function bf16ToFloat32(src: Uint16Array, out = new Float32Array(src.length), at = 0): Float32Array {
  const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < src.length; i++) bits[at + i] = src[i] << 16;
  return out;
}

/** Nearest F16 bit pattern to float32(x), ties to even. */
export function numberToF16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return mant ? sign | 0x7e00 | (mant >>> 13) : sign | 0x7c00;
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  // Normal halves drop 13 mantissa bits; subnormal halves (e ≤ 0) drop 14 − e bits of 1.m.
  const full = e > 0 ? mant : mant | 0x800000;
  const shift = e > 0 ? 13 : 14 - e;
  if (shift > 24) return sign;
  let kept = full >>> shift;
  const rest = full & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  if (rest > half || (rest === half && kept & 1)) kept++;
  // A carry out of the mantissa correctly bumps the exponent (up to inf).
  return sign | ((e > 0 ? e << 10 : 0) + kept);
}

/** Nearest BF16 bit pattern to float32(x), ties to even; NaN stays (quiet) NaN. */
export function numberToBf16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0];
  if ((b & 0x7f800000) === 0x7f800000 && b & 0x7fffff) return (b >>> 16) | 0x40;
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}

export function float32ToF16(src: Float32Array): Uint16Array {
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = numberToF16Bits(src[i]);
  return out;
}

export function float32ToBf16(src: Float32Array): Uint16Array {
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = numberToBf16Bits(src[i]);
  return out;
}
