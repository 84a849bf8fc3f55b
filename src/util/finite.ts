// Finite checks over whole arrays, fast: x − x is 0 for a finite x and NaN for ±Inf and NaN, so one
// subtraction and compare per element (a call to Number.isFinite per element costs several times that).

/** The first index whose value is NaN or ±Inf, or −1 when every value is finite. */
export function firstNonFinite(a: ArrayLike<number>, begin = 0, end = a.length): number {
  for (let i = begin; i < end; i++) {
    const x = a[i];
    if (x - x !== 0) return i;
  }
  return -1;
}

/** Whether every value of `a` is finite. */
export const allFinite = (a: ArrayLike<number>): boolean => firstNonFinite(a) < 0;
