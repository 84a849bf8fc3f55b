// The sweep's metrics beyond cosine (`--metric`, metrics/metric_names.ts) for every comparison of
// the plan: vanilla from the cosine's per-sample products, abs_div from per-sample absolute sums of
// the host features (combinations formed on the host in float64), and the pooled metrics from N × N
// Gram matrices filled chunk pair by chunk pair (metrics/gram_store.ts). Memory of the pooled
// metrics per hook: (M + R)·N·D·4 + (M(M+1)/2 + R + 3)·N²·8 bytes for M basis models and R rows with
// features of their own; a sweep that would pass `maxMemory` stops at the first chunk, before it grows.
import type { Backend, DeviceTensor, FeatureStats } from '../backends/backend.js';
import type { ComparisonFields } from '../metrics/comparisons.js';
import { AbsDivAccumulator, absSums, VanillaAccumulator, type ElementwiseSummary } from '../metrics/elementwise.js';
import { GramStore, gramStoreBytes } from '../metrics/gram_store.js';
import { hasOverSamples, isPooled, type MetricName } from '../metrics/metric_names.js';
import { linCka, linCkaPrime, NormalisedGram, procrustes } from '../metrics/pooled.js';
import type { SweepPlan } from './plan.js';

type Fields = Record<string, number | null>;
type Elementwise = VanillaAccumulator | AbsDivAccumulator;

const numel = (t: DeviceTensor): number => t.shape.reduce((a, b) => a * b, 1);

/** Bytes of the pooled metrics' state at one hook (gram_store.ts, plus three N × N working matrices). */
export function pooledHookBytes(n: number, d: number, m: number, ownRows: number): number {
  return gramStoreBytes(n, d, m + ownRows, (m * (m + 1)) / 2 + ownRows) + 3 * n * n * 8;
}

/** Bytes in the largest binary unit that keeps the value at least 1 (B, KiB, MiB, GiB, TiB). */
function size(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let u = 0;
  while (u < units.length - 1 && bytes >= 1024 ** (u + 1)) u++;
  return `${(bytes / 1024 ** u).toFixed(u === 0 ? 0 : 2)} ${units[u]}`;
}

interface HookPooled {
  store: GramStore;
  /** lane of row k's features: a basis model j < M, or M + its own lane */
  laneOf: number[];
}

export class MetricSet {
  readonly pooled: boolean;
  private readonly rows = new Map<string, Elementwise[][]>(); // key metric|hook → [row][plan row]
  private readonly basis = new Map<string, Elementwise[]>();
  private readonly hooks = new Map<string, HookPooled>();
  private reserved = 0;

  constructor(
    readonly metrics: readonly MetricName[],
    readonly plan: SweepPlan,
    readonly k: number,
    readonly m: number,
    readonly n: number,
    readonly layers: readonly string[],
    readonly maxMemory: number,
  ) {
    this.pooled = metrics.some(isPooled);
    for (const metric of metrics) {
      if (metric !== 'vanilla' && metric !== 'abs_div') continue;
      const make = (): Elementwise => (metric === 'vanilla' ? new VanillaAccumulator() : new AbsDivAccumulator());
      for (const l of layers) {
        this.rows.set(`${metric}|${l}`, Array.from({ length: k }, () => plan.rows.map(make)));
        this.basis.set(`${metric}|${l}`, plan.basis.map(make));
      }
    }
  }

  /** Whether the hook needs the features on the host (abs_div, pooled metrics). */
  get needsFeatures(): boolean {
    return this.pooled || this.metrics.includes('abs_div');
  }

  /** The cosine pass's per-sample products of row k's comparison i (vanilla reads them). */
  rowStats(hook: string, k: number, i: number, s: FeatureStats, where: string): void {
    (this.rows.get(`vanilla|${hook}`)?.[k][i] as VanillaAccumulator | undefined)?.add(s, where);
  }

  basisStats(hook: string, i: number, s: FeatureStats, where: string): void {
    (this.basis.get(`vanilla|${hook}`)?.[i] as VanillaAccumulator | undefined)?.add(s, where);
  }

  /** One chunk's features at a hook: fb the M basis models', fr the K rows' (possibly shared). */
  async features(be: Backend, hook: string, start: number, fb: readonly DeviceTensor[], fr: readonly DeviceTensor[], rowCoeffs: readonly Float64Array[]): Promise<void> {
    if (!this.needsFeatures) return;
    const count = fb[0].shape[0];
    const d = numel(fb[0]) / count;
    const own: DeviceTensor[] = [];
    const laneOf = fr.map((t) => {
      const j = fb.indexOf(t);
      if (j >= 0) return j;
      if (!own.includes(t)) own.push(t);
      return this.m + own.indexOf(t);
    });
    const host: Float32Array[] = [];
    for (const t of [...fb, ...own]) {
      const x = await be.read(t);
      if (!(x instanceof Float32Array)) throw new Error(`layer ${hook}: features are not float32`);
      host.push(x);
    }
    const basisHost = host.slice(0, this.m);
    if (this.metrics.includes('abs_div')) {
      const cache = new Map<string, Float64Array>();
      const sums = (c: ArrayLike<number>): Float64Array => {
        const key = Array.from(c).join(',');
        let s = cache.get(key);
        if (!s) cache.set(key, (s = absSums(basisHost, c, count, d)));
        return s;
      };
      const rowAcc = this.rows.get(`abs_div|${hook}`)!;
      fr.forEach((_, k) => {
        const a = absSums([host[laneOf[k]]], [1], count, d);
        this.plan.rows.forEach((cmp, i) => {
          (rowAcc[k][i] as AbsDivAccumulator).add({ a, b: sums(cmp.against === 'own' ? rowCoeffs[k] : cmp.against) }, `row ${k}, layer ${hook} (abs_div ${cmp.tag})`);
        });
      });
      this.plan.basis.forEach((cmp, i) => (this.basis.get(`abs_div|${hook}`)![i] as AbsDivAccumulator).add({ a: sums(cmp.left), b: sums(cmp.right) }, `basis ${cmp.tag}, layer ${hook} (abs_div)`));
    }
    if (this.pooled) this.addPooled(hook, start, count, d, host, laneOf, own.length);
  }

  private addPooled(hook: string, start: number, count: number, d: number, host: Float32Array[], laneOf: number[], ownRows: number): void {
    let h = this.hooks.get(hook);
    if (!h) {
      const bytes = pooledHookBytes(this.n, d, this.m, ownRows);
      if (this.reserved + bytes > this.maxMemory) {
        throw new Error(
          `--max-memory: the pooled metrics (${this.metrics.filter(isPooled).join(', ')}) at layer ${hook} need ` +
            `(M + R)·N·D·4 + (M(M+1)/2 + R + 3)·N²·8 = ${size(bytes)} (M = ${this.m}, R = ${ownRows}, N = ${this.n}, D = ${d}) ` +
            `on top of ${size(this.reserved)} for earlier layers; the limit is ${size(this.maxMemory)} ` +
            `(fewer --samples or --layers, or a larger --max-memory)`,
        );
      }
      this.reserved += bytes;
      const pairs: [number, number][] = [];
      for (let i = 0; i < this.m; i++) for (let j = i; j < this.m; j++) pairs.push([i, j]);
      for (let r = 0; r < ownRows; r++) pairs.push([this.m + r, this.m + r]);
      h = { store: new GramStore(this.n, this.m + ownRows, pairs), laneOf };
      this.hooks.set(hook, h);
    }
    if (h.laneOf.join() !== laneOf.join()) throw new Error(`layer ${hook}: rows share basis features differently from the first chunk`);
    h.store.add(host, start, count, d, `layer ${hook}`);
  }

  /** results.json fields of one metric for row k (null k: the basis comparisons) at a hook. */
  fields(metric: MetricName, hook: string, k: number | null, rowCoeffs: readonly Float64Array[]): Fields {
    const items = k === null ? this.plan.basis : this.plan.rows;
    const sums: ElementwiseSummary[] = isPooled(metric) ? this.pooledSummaries(metric, hook, k, rowCoeffs) : this.elementwise(metric, hook, k);
    return metricFields(metric, items.map((c, i) => ({ tag: c.tag, fields: c.fields, s: sums[i] })));
  }

  private elementwise(metric: MetricName, hook: string, k: number | null): ElementwiseSummary[] {
    const accs = k === null ? this.basis.get(`${metric}|${hook}`)! : this.rows.get(`${metric}|${hook}`)![k];
    return accs.map((a) => a.summary());
  }

  private readonly normalised = new Map<string, NormalisedGram>();

  private gramOf(hook: string, h: HookPooled, key: string, make: () => Float64Array): NormalisedGram {
    const full = `${hook}|${key}`;
    let g = this.normalised.get(full);
    if (!g) this.normalised.set(full, (g = new NormalisedGram(make(), this.n)));
    return g;
  }

  private pooledSummaries(metric: MetricName, hook: string, k: number | null, rowCoeffs: readonly Float64Array[]): ElementwiseSummary[] {
    const h = this.hooks.get(hook);
    if (!h || !h.store.complete) throw new Error(`layer ${hook}: the pooled metrics saw ${h ? 'only part of' : 'none of'} the samples`);
    const lanes = h.store.lanes;
    const pad = (c: ArrayLike<number>): Float64Array => {
      const v = new Float64Array(lanes);
      for (let j = 0; j < c.length; j++) v[j] = c[j];
      return v;
    };
    const combo = (c: ArrayLike<number>): NormalisedGram => {
      const v = pad(c);
      return this.gramOf(hook, h, `c:${Array.from(v).join(',')}`, () => h.store.combination(v, v));
    };
    const pairs: [NormalisedGram, NormalisedGram][] =
      k === null
        ? this.plan.basis.map((c) => [combo(c.left), combo(c.right)])
        : this.plan.rows.map((c) => {
            const e = new Float64Array(lanes);
            e[h.laneOf[k]] = 1;
            return [combo(e), combo(c.against === 'own' ? rowCoeffs[k] : c.against)];
          });
    const d = h.store.d;
    return pairs.map(([a, b]) => {
      const dist = metric === 'lin_cka' ? linCka(a, b) : metric === 'lin_cka_prime' ? linCkaPrime(a, b, d) : procrustes(a, b);
      return { dist, distMean: NaN, distStd: null, samples: this.n };
    });
  }
}

/** The released names for one metric's comparisons at a hook: dist_<tag>, coef_<tag> (0 for every
 *  metric but cosine, as dissimilarity.py's abs_div returns), the per-sample mean/std where
 *  DissimilarityMetricOverSamples has the metric; dist-only comparisons last (as comparisonFields). */
export function metricFields(metric: MetricName, items: readonly { tag: string; fields: ComparisonFields; s: ElementwiseSummary }[]): Fields {
  const per = hasOverSamples(metric);
  // a zero sample divides as IEEE does (NaN, ±Inf): null, as JSON would write it
  const fin = (x: number | null): number | null => (x !== null && Number.isFinite(x) ? x : null);
  items = items.map((it) => ({ ...it, s: { ...it.s, dist: fin(it.s.dist) as number, distMean: fin(it.s.distMean) as number, distStd: fin(it.s.distStd) } }));
  const out: Fields = {};
  const distOnly = items.filter((it) => it.fields === 'dist');
  for (const { tag, fields, s } of items) {
    if (fields === 'dist') continue;
    out[`dist_${tag}`] = s.dist;
    out[`coef_${tag}`] = 0;
    if (per) {
      Object.assign(out, {
        [`dist_${tag}_over_samples_mean`]: s.distMean,
        [`dist_${tag}_over_samples_std`]: s.distStd,
        [`coef_${tag}_over_samples_mean`]: 0,
        [`coef_${tag}_over_samples_std`]: 0,
      });
    }
  }
  for (const { tag, s } of distOnly) out[`dist_${tag}`] = s.dist;
  if (per) for (const { tag, s } of distOnly) Object.assign(out, { [`dist_${tag}_over_samples_mean`]: s.distMean, [`dist_${tag}_over_samples_std`]: s.distStd });
  return out;
}
