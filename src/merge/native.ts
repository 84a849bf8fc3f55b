// The native path of a merge: linear, task_arithmetic, ties, dare_linear and dare_ties run in
// native/ops/merge.cpp, model_stock and karcher (on Gram matrices, karcher_gram.ts) in
// native/ops/merge_gram.cpp, on the raw checkpoint bytes (F32/F16/BF16 decoded and the output
// encoded in the kernel). Same math as methods/ (the golden tests compare both on every case).
import { loadNative } from '../backends/native/bindings.js';
import type { MergePlan, PlanItem } from './plan.js';
import type { Source } from './source.js';
import { streamKey } from './methods/rng.js';
import { num } from './methods/types.js';
import { karcherCoefficients } from './karcher_gram.js';

/** dtype codes shared with native/ops/merge.h. */
export const DTYPE_CODE = { F32: 0, F16: 1, BF16: 2 } as const;

export interface MergeAddon {
  /** out = Σ c_j x_j (float64 accumulation). */
  mergeLinear(xs: Uint8Array[], dtypes: Int32Array, coeffs: Float64Array, out: Uint8Array, outDtype: number): Promise<void>;
  /** Generalized task arithmetic on base + xs (see methods/gta.ts). sparsify: 0 none, 1 magnitude,
   *  2 bernoulli; consensus: 0 none, 1 mergekit (weighted signs), 2 paper (unweighted signs);
   *  keys: [k0, k1] per model; flags: bit 0 normalize, bit 1 rescale. */
  mergeGta(base: Uint8Array, baseDtype: number, xs: Uint8Array[], dtypes: Int32Array, weights: Float64Array, densities: Float64Array,
    keys: Float64Array, sparsify: number, consensus: number, flags: number, lambda: number, out: Uint8Array, outDtype: number): Promise<void>;
  /** Per run of `segment` elements, the Gram matrix of δ_j = x_j − base (base null: x_j) into sums:
   *  the upper triangle in row order, M(M+1)/2 float64 per segment. */
  mergeGram(base: Uint8Array | null, baseDtype: number, xs: Uint8Array[], dtypes: Int32Array, segment: number, sums: Float64Array): Promise<void>;
  /** model_stock (methods/model_stock.ts) per run of `segment` elements. */
  mergeModelStock(base: Uint8Array, baseDtype: number, xs: Uint8Array[], dtypes: Int32Array, segment: number, out: Uint8Array, outDtype: number): Promise<void>;
}

const HOT: Record<string, { sparsify: number; consensus: boolean }> = {
  task_arithmetic: { sparsify: 0, consensus: false },
  ties: { sparsify: 1, consensus: true },
  dare_linear: { sparsify: 2, consensus: false },
  dare_ties: { sparsify: 2, consensus: true },
};

/** The methods with a native kernel. */
const NATIVE_METHODS = ['linear', ...Object.keys(HOT), 'model_stock', 'karcher'];

export interface NativeMerger {
  handles(it: PlanItem): boolean;
  load(it: PlanItem, sources: Source[]): Promise<Uint8Array[]>;
  /** Merges one tensor; its input buffers go back to the pool. */
  run(it: PlanItem, raw: Uint8Array[], seed: number): Promise<Uint8Array>;
  /** Returns an output buffer of run() to the pool once it is written. */
  release(buf: Uint8Array): void;
}

/** Reused, uninitialized byte buffers: tensors of similar sizes share memory instead of each
 *  allocation faulting in fresh pages. */
export class BufferPool {
  private free: ArrayBuffer[] = [];
  take(bytes: number): Uint8Array {
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const b = this.free[i].byteLength;
      if (b >= bytes && (best < 0 || b < this.free[best].byteLength)) best = i;
    }
    const buf = best >= 0 ? this.free.splice(best, 1)[0] : Buffer.allocUnsafeSlow(Math.max(bytes, 1)).buffer as ArrayBuffer;
    return new Uint8Array(buf, 0, bytes);
  }
  give(view: Uint8Array): void {
    this.free.push(view.buffer as ArrayBuffer);
  }
}

/** The addon's merge kernels, or undefined (required: throw) when unavailable. */
export function loadMergeAddon(required: boolean): MergeAddon | undefined {
  try {
    const m = loadNative() as unknown as Partial<MergeAddon>;
    if ([m.mergeGta, m.mergeLinear, m.mergeGram, m.mergeModelStock].some((f) => typeof f !== 'function')) throw new Error('the addon has no merge kernels (rebuild it)');
    return m as MergeAddon;
  } catch (e) {
    if (required) throw e;
    return undefined;
  }
}

export function nativeMerger(plan: MergePlan, sources: Source[], required: boolean): NativeMerger | undefined {
  const name = plan.method.name;
  if (!NATIVE_METHODS.includes(name)) {
    if (required) throw new Error(`--backend native: ${name} has no native kernel (native: ${NATIVE_METHODS.join(', ')})`);
    return undefined;
  }
  const loaded = loadMergeAddon(required);
  if (!loaded) return undefined;
  const addon: MergeAddon = loaded;
  const dt = (sources: Source[], model: number, tensor: string) => sources[model].tensors.get(tensor)!.dtype;
  const dtypes = new Map<PlanItem, Int32Array>();
  const pool = new BufferPool();
  return {
    release: (buf) => pool.give(buf),
    // F64 inputs (rare) take the reference path
    handles: (it) => it.kind === 'merge' && operands(it).every((x) => dt(sources, x.model, x.tensor) !== 'F64'),
    async load(it, sources) {
      const all = operands(it);
      const codes = all.map((x) => DTYPE_CODE[dt(sources, x.model, x.tensor) as keyof typeof DTYPE_CODE]);
      dtypes.set(it, Int32Array.from(codes));
      return Promise.all(all.map((x) => sources[x.model].readRaw(x.tensor, pool.take(sources[x.model].tensors.get(x.tensor)!.bytes))));
    },
    async run(it, raw, seed) {
      const codes = dtypes.get(it)!;
      dtypes.delete(it);
      const n = it.shape.reduce((a, b) => a * b, 1);
      const out = pool.take(n * (plan.outDType === 'F32' ? 4 : 2));
      try {
        await kernel(it, raw, seed, codes, n, out);
      } catch (e) {
        pool.give(out);
        throw new Error(`merge: tensor "${it.out}": ${(e as Error).message}`);
      } finally {
        for (const r of raw) pool.give(r);
      }
      return out;
    },
  };

  /** What the kernel reads: the base (karcher: none, it merges the listed models), then the inputs. */
  function operands(it: PlanItem) {
    return [...(it.base && name !== 'karcher' ? [it.base] : []), ...it.inputs];
  }

  /** Runs the method's kernel on one tensor's raw inputs into `out`. */
  async function kernel(it: PlanItem, raw: Uint8Array[], seed: number, codes: Int32Array, n: number, out: Uint8Array): Promise<void> {
    if (name === 'model_stock') {
      const seg = it.global.filter_wise === true && it.shape.length ? it.shape[it.shape.length - 1] : n;
      await addon.mergeModelStock(raw[0], codes[0], raw.slice(1), codes.slice(1), seg, out, DTYPE_CODE[plan.outDType]);
      return;
    }
    if (name === 'karcher') {
      const M = raw.length;
      let coef: Float64Array = Float64Array.of(1);
      if (M > 1 && n > 0) {
        const G = new Float64Array((M * (M + 1)) / 2);
        await addon.mergeGram(null, 0, raw, codes, n, G);
        coef = karcherCoefficients(G, M, num(it.global.max_iter, 'max_iter'), num(it.global.tol, 'tol'));
      }
      const keep = [...coef.keys()].filter((j) => coef[j] !== 0);
      if (keep.length === 0) out.fill(0);
      else await addon.mergeLinear(keep.map((j) => raw[j]), Int32Array.from(keep, (j) => codes[j]), Float64Array.from(keep, (j) => coef[j]), out, DTYPE_CODE[plan.outDType]);
      return;
    }
    const w = Float64Array.from(it.inputs, (x) => num(x.params.weight, `${it.out}: weight`));
    if (name === 'linear') {
      const s = it.global.normalize === true ? w.reduce((a, b) => a + b, 0) : 1;
      await addon.mergeLinear(raw, codes, w.map((v) => v / s), out, DTYPE_CODE[plan.outDType]);
      return;
    }
    if (n > 0xffffffff) throw new Error(`${it.out}: tensors over 2^32 elements are not supported`);
    const spec = HOT[name];
    const keys = new Float64Array(it.inputs.length * 2);
    it.inputs.forEach((x, j) => keys.set(streamKey(seed, it.out, x.index), 2 * j));
    const consensus = spec.consensus ? (it.global.sign_election === 'paper' ? 2 : 1) : 0;
    const flags = (it.global.normalize === true ? 1 : 0) | (it.global.rescale === true ? 2 : 0);
    if (it.inputs.length === 0) {
      await addon.mergeLinear([raw[0]], codes, Float64Array.of(1), out, DTYPE_CODE[plan.outDType]);
      return;
    }
    await addon.mergeGta(raw[0], codes[0], raw.slice(1), codes.slice(1), w, Float64Array.from(it.inputs, (x) => num(x.params.density, 'density')),
      keys, spec.sparsify, consensus, flags, num(it.global.lambda, 'lambda'), out, DTYPE_CODE[plan.outDType]);
  }
}
