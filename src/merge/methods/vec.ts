// Small float64 vector helpers shared by the spherical methods.
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
export const norm = (a: ArrayLike<number>): number => Math.sqrt(dot(a, a));
export const sub = (a: ArrayLike<number>, b: ArrayLike<number>): Float64Array => Float64Array.from(a as ArrayLike<number>, (v, i) => v - b[i]);
