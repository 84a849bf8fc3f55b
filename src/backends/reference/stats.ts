// Per-sample similarity sums for the CTL metrics, all in float64.
import { shapeStr } from '../../tensor.js';
import type { DeviceTensor, FeatureProducts, FeatureStats } from '../backend.js';
import { basisData } from './combine.js';
import { f32 } from './tensor_store.js';

// G_n = Σ_j c[j] · basis_j[n] (float64, never stored);  dot_n = ⟨F_n, G_n⟩, ff_n = ‖F_n‖², gg_n = ‖G_n‖²
export function featureStats(fT: DeviceTensor, basis: readonly DeviceTensor[], c: Float64Array): FeatureStats {
  const f = f32('featureStats', 'f', fT);
  if (f.shape.length < 1) throw new Error(`featureStats: f must have rank ≥ 1 ([N, ...]), got shape ${shapeStr(f.shape)}`);
  const data = basisData('featureStats', basis, f.shape);
  const m = data.length;
  if (!(c instanceof Float64Array) || c.length !== m) {
    throw new Error(`featureStats: c must be a Float64Array of ${m} coefficients (one per basis tensor), got ${c?.length}`);
  }
  const n = f.shape[0];
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
export function featureProducts(fs: readonly DeviceTensor[], basis: readonly DeviceTensor[]): FeatureProducts[] {
  if (fs.length === 0) throw new Error('featureProducts: fs must hold at least one tensor');
  return fs.map((f, i) => products(f, basis, i));
}

function products(fT: DeviceTensor, basis: readonly DeviceTensor[], i: number): FeatureProducts {
  const f = f32('featureProducts', `fs[${i}]`, fT);
  if (f.shape.length < 1) throw new Error(`featureProducts: fs[${i}] must have rank ≥ 1 ([N, ...]), got shape ${shapeStr(f.shape)}`);
  const data = basisData('featureProducts', basis, f.shape);
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
