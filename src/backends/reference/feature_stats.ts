// Per-sample similarity sums for the CTL metrics, all in float64.
import type { DeviceTensor, FeatureProducts, FeatureStats } from '../backend.js';
import type { OpPlan } from '../ops.js';
import { basisData } from './combine.js';
import { f32 } from './tensor_store.js';

// G_n = Σ_j c[j] · basis_j[n] (float64, never stored);  dot_n = ⟨F_n, G_n⟩, ff_n = ‖F_n‖², gg_n = ‖G_n‖²
export function featureStats(p: OpPlan<'featureStats'>, fT: DeviceTensor, basis: readonly DeviceTensor[], c: Float64Array): FeatureStats {
  const f = f32('featureStats', 'f', fT);
  const data = basisData('featureStats', basis);
  const { n, m } = p;
  const per = n === 0 ? 0 : f.data.length / n;
  const dot = new Float64Array(n);
  const ff = new Float64Array(n);
  const gg = new Float64Array(n);
  for (let s = 0; s < n; s++) {
    let sd = 0;
    let sf = 0;
    let sg = 0;
    for (let i = s * per; i < (s + 1) * per; i++) {
      let g = 0;
      for (let j = 0; j < m; j++) g += c[j] * data[j][i];
      const v = f.data[i];
      sd += v * g;
      sf += v * v;
      sg += g * g;
    }
    dot[s] = sd;
    ff[s] = sf;
    gg[s] = sg;
  }
  return { dot, ff, gg };
}

// per F in fs: dots[n·M + j] = ⟨F_n, basis_j[n]⟩, ff_n = ‖F_n‖²
export function featureProducts(_p: OpPlan<'featureProducts'>, fs: readonly DeviceTensor[], basis: readonly DeviceTensor[]): FeatureProducts[] {
  const data = basisData('featureProducts', basis);
  return fs.map((f, i) => products(f, data, i));
}

function products(fT: DeviceTensor, data: readonly Float32Array[], i: number): FeatureProducts {
  const f = f32('featureProducts', `fs[${i}]`, fT);
  const m = data.length;
  const n = f.shape[0];
  const per = n === 0 ? 0 : f.data.length / n;
  const dots = new Float64Array(n * m);
  const ff = new Float64Array(n);
  for (let s = 0; s < n; s++) {
    let sf = 0;
    for (let i = s * per; i < (s + 1) * per; i++) sf += f.data[i] * f.data[i];
    ff[s] = sf;
    for (let j = 0; j < m; j++) {
      let sd = 0;
      for (let i = s * per; i < (s + 1) * per; i++) sd += f.data[i] * data[j][i];
      dots[s * m + j] = sd;
    }
  }
  return { dots, ff };
}
