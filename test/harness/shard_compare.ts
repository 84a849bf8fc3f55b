// Compares a reduced sweep with the unsharded one: the same structure, every number within 1e-12
// relative, except values at rounding-noise level (|x| ≤ 1e-15, e.g. the dist of a row that is a
// basis model, a mean of such dists), which must agree within 1e-15 absolute. Timing and memory
// fields differ by nature and are skipped. The worst differences are returned for the report.
import * as assert from 'uvu/assert';

export const REL_TOL = 1e-12;
export const NOISE = 1e-15;

export interface Worst {
  rel: number;
  relAt: string;
  noiseAbs: number;
  noiseAt: string;
  numbers: number;
  exact: number;
  /** whole-set values (not `_over_samples_`: sums-based dist/coef, loss, accuracy, barriers) that are not bit-identical */
  wholeSetInexact: number;
}

export const noWorst = (): Worst => ({ rel: 0, relAt: '', noiseAbs: 0, noiseAt: '', numbers: 0, exact: 0, wholeSetInexact: 0 });

export function compareReduced(want: unknown, got: unknown, where: string, worst: Worst = noWorst()): Worst {
  const walk = (a: unknown, b: unknown, p: string): void => {
    if (/^\.(elapsed_seconds|peak_rss_bytes)$/.test(p)) return;
    if (typeof a === 'number') {
      assert.type(b, 'number', `${where}${p}: ${String(b)} vs ${a}`);
      const x = b as number;
      worst.numbers++;
      if (x === a) {
        worst.exact++;
        return;
      }
      if (!p.includes('_over_samples_')) worst.wholeSetInexact++;
      const scale = Math.max(Math.abs(a), Math.abs(x));
      const d = Math.abs(a - x);
      if (scale <= NOISE) {
        if (d > worst.noiseAbs) [worst.noiseAbs, worst.noiseAt] = [d, `${where}${p}`];
        assert.ok(d <= NOISE, `${where}${p}: ${x} vs ${a} (noise-level values ${d} apart)`);
      } else {
        if (d / scale > worst.rel) [worst.rel, worst.relAt] = [d / scale, `${where}${p}`];
        assert.ok(d <= REL_TOL * scale, `${where}${p}: ${x} vs ${a} (relative ${d / scale})`);
      }
      return;
    }
    if (a !== null && typeof a === 'object') {
      assert.ok(b !== null && typeof b === 'object', `${where}${p}: ${JSON.stringify(b)} where an object was expected`);
      assert.equal(Object.keys(b as object).sort(), Object.keys(a).sort(), `${where}${p}: keys`);
      for (const k of Object.keys(a)) walk((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${p}.${k}`);
      return;
    }
    assert.is(b, a, `${where}${p}`);
  };
  walk(want, got, '');
  return worst;
}

export const formatWorst = (w: Worst): string =>
  `worst relative ${w.rel.toExponential(2)} (${w.relAt || 'none'}); noise-level worst |Δ| ${w.noiseAbs.toExponential(2)} (${w.noiseAt || 'none'}); ${w.exact} of ${w.numbers} numbers bit-identical, ${w.wholeSetInexact} whole-set values not`;
