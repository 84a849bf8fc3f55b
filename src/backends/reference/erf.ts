// erf and erfc in float64 (JavaScript has no Math.erf), accurate to a few ulps:
// a positive-term series for |x| < 3, a continued fraction for erfc beyond.

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

// erf(x) = 2/√π · e^{−x²} · Σ_n 2ⁿ x^{2n+1} / (1·3·…·(2n+1))   (all terms positive: no cancellation)
function erfSeries(x: number): number {
  let term = x;
  let sum = x;
  const x2 = 2 * x * x;
  for (let n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
    term *= x2 / (2 * n + 1);
    sum += term;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x * x) * sum;
}

// erfc(x) = e^{−x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …)))))   for x ≥ 3
function erfcFraction(x: number): number {
  let f = x;
  for (let n = 120; n >= 1; n--) f = x + n / 2 / f;
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

export function erfc(x: number): number {
  if (Number.isNaN(x)) return x;
  if (x >= 3) return erfcFraction(x);
  if (x <= -3) return 2 - erfcFraction(-x);
  return 1 - erfSeries(x);
}

export function erf(x: number): number {
  if (Number.isNaN(x)) return x;
  if (x >= 3) return 1 - erfcFraction(x);
  if (x <= -3) return erfcFraction(-x) - 1;
  return erfSeries(x);
}

// Φ(x) = ½·erfc(−x/√2), the standard normal CDF (no cancellation in either tail)
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}
