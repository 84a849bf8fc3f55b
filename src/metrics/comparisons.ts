// Comparisons as coefficient vectors over the basis. At a hook, one featureProducts pass gives, per
// sample n, the basis's Gram matrix G_n[i][j] = ⟨B_i, B_j⟩ and, for each row with features F of its
// own, ⟨F, B_j⟩ and ‖F‖². Any comparison then follows without forming a combination:
//   F vs Σ_j v_j B_j:                 ⟨F,G⟩ = Σ_j v_j ⟨F,B_j⟩,   ‖G‖² = vᵀ G_n v
//   Σ_i u_i B_i vs Σ_j v_j B_j:       ⟨U,V⟩ = uᵀ G_n v,  ‖U‖² = uᵀ G_n u,  ‖V‖² = vᵀ G_n v
// Zero coefficients are skipped, so a unit vector e_j reads exactly ⟨F,B_j⟩ and G_n[j][j]; a side
// that is one basis model e_i uses ‖B_i‖² as the pass measured it (its `ff`).
import type { FeatureProducts, FeatureStats } from '../backends/backend.js';

/** What a comparison reports (official sub_linearity.csv names): dist/coef with their per-sample
 *  mean and std and the mean signed cosine; dist/coef and their per-sample mean and std; or dist
 *  with its per-sample mean and std only. */
export type ComparisonFields = 'distCoefCos' | 'distCoef' | 'dist';

/** A row's features F_k compared with Σ_j v_j f(θ_j): `against` is 'own' (the row's coefficients:
 *  F vs G, the CTL comparison) or a fixed vector (e.g. e_j: F vs basis model j). */
export interface RowComparison {
  readonly tag: string;
  readonly against: 'own' | Float64Array;
  readonly fields: ComparisonFields;
}

/** Two combinations of basis features compared at every hook (e.g. e_A vs e_B: basis A vs B). */
export interface BasisComparison {
  readonly tag: string;
  readonly left: Float64Array;
  readonly right: Float64Array;
  readonly fields: ComparisonFields;
}

/** The basis's per-sample products with itself: gram[i] are basis i's products with every basis tensor. */
export class BasisGram {
  readonly m: number;
  readonly n: number;
  constructor(readonly gram: readonly FeatureProducts[]) {
    this.m = gram.length;
    this.n = gram[0]?.ff.length ?? 0;
  }

  /** G_s[i][j] = ⟨B_i, B_j⟩ of sample s. */
  at(s: number, i: number, j: number): number {
    return this.gram[i].dots[s * this.m + j];
  }

  /** uᵀ G_s v, summed over i (outer) and j (inner), zero coefficients skipped. */
  form(s: number, u: Float64Array, v: Float64Array): number {
    let acc = 0;
    for (let i = 0; i < this.m; i++) {
      if (u[i] === 0) continue;
      for (let j = 0; j < this.m; j++) if (v[j] !== 0) acc += u[i] * v[j] * this.at(s, i, j);
    }
    return acc;
  }

  /** ‖Σ_i u_i B_i‖² of sample s: basis i's own ‖B_i‖² when u = e_i, else uᵀ G_s u. */
  norm2(s: number, u: Float64Array): number {
    const i = unitIndex(u);
    return i >= 0 ? this.gram[i].ff[s] : this.form(s, u, u);
  }

  /** F (with products `p` against the basis) vs Σ_j v_j B_j, per sample. */
  rowStats(p: FeatureProducts, v: Float64Array): FeatureStats {
    const dot = new Float64Array(this.n), gg = new Float64Array(this.n);
    for (let s = 0; s < this.n; s++) {
      let acc = 0;
      for (let j = 0; j < this.m; j++) if (v[j] !== 0) acc += v[j] * p.dots[s * this.m + j];
      dot[s] = acc;
      gg[s] = this.form(s, v, v);
    }
    return { dot, ff: p.ff, gg };
  }

  /** Σ u_i B_i vs Σ v_j B_j, per sample. */
  pairStats(u: Float64Array, v: Float64Array): FeatureStats {
    const dot = new Float64Array(this.n), ff = new Float64Array(this.n), gg = new Float64Array(this.n);
    for (let s = 0; s < this.n; s++) {
      dot[s] = this.form(s, u, v);
      ff[s] = this.norm2(s, u);
      gg[s] = this.form(s, v, v);
    }
    return { dot, ff, gg };
  }
}

/** j when c is the unit vector e_j (one entry exactly 1, the others exactly 0), else −1. */
export function unitIndex(c: ArrayLike<number>): number {
  let j = -1;
  for (let i = 0; i < c.length; i++) {
    if (c[i] === 1 && j < 0) j = i;
    else if (c[i] !== 0) return -1;
  }
  return j;
}

/** e_j of length m. */
export function unitVector(m: number, j: number): Float64Array {
  const e = new Float64Array(m);
  e[j] = 1;
  return e;
}

/** The letter naming basis model j in output names (A, B, …, Z, then M26, M27, …). */
export function basisTag(j: number): string {
  return j < 26 ? String.fromCharCode(65 + j) : `M${j}`;
}
