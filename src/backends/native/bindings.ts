// The only file that loads the native addon (build/Release/ctlkit.node) and its typed surface.
// Every op writes into a caller-allocated output and returns a promise: calls with little work
// settle synchronously on the main thread, larger ones run on the libuv pool (native/napi_util.h).
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

type F32 = Float32Array;
type Pair = [number, number];

export interface NativeModule {
  version(): string;
  /** Threads the kernels use (hardware concurrency, or CTLKIT_NUM_THREADS). */
  numThreads(): number;
  /** avx2Fma: the CPU has AVX2+FMA; simd: the SIMD kernels are in use. */
  cpuFeatures(): { avx2Fma: boolean; simd: boolean };
  /** Turns the AVX2/FMA kernels off (portable fallback) or back on; for tests. */
  setSimd(enabled: boolean): void;
  /** Turns the Winograd F(4×4,3×3) conv path off (the implicit GEMM for every conv) or back on. */
  setWinograd(enabled: boolean): void;
  /** out[m,n] = a[m,k] · b[k,n] (b as [n,k] when transB) + bias[n]. */
  gemm(a: F32, b: F32, bias: F32 | null, out: F32, m: number, n: number, k: number, transB: boolean): Promise<void>;
  conv2d(
    x: F32, w: F32 | null, bias: F32 | null, out: F32, xShape: number[], wShape: number[],
    stride: Pair, padding: Pair, dilation: Pair, groups: number,
    /** fused epilogue: eval BatchNorm [mean, variance, weight, bias] with eps, + residual, ReLU */
    bn: F32[] | null, eps: number, residual: F32 | null, relu: boolean,
    /** w null: the weights are Σ_j wCoeffs[j] · wBasis[j], formed as they are read (as combine forms them) */
    wBasis: F32[] | null, wCoeffs: Float64Array | null,
  ): Promise<void>;
  maxPool2d(x: F32, out: F32, xShape: number[], kernel: Pair, stride: Pair, padding: Pair): Promise<void>;
  avgPool2d(x: F32, out: F32, xShape: number[], kernel: Pair, stride: Pair, padding: Pair): Promise<void>;
  adaptiveAvgPool2d(x: F32, out: F32, xShape: number[], outH: number, outW: number): Promise<void>;
  layerNorm(x: F32, weight: F32, bias: F32, out: F32, rows: number, cols: number, eps: number): Promise<void>;
  batchNorm(
    x: F32, mean: F32, variance: F32, weight: F32, bias: F32, out: F32, n: number, c: number, inner: number, eps: number,
  ): Promise<void>;
  relu(x: F32, out: F32): Promise<void>;
  gelu(x: F32, out: F32, tanhApprox: boolean): Promise<void>;
  quickGelu(x: F32, out: F32): Promise<void>;
  l2Normalize(x: F32, out: F32, rows: number, cols: number): Promise<void>;
  /** out = a + b repeated over a (b.length divides a.length). */
  add(a: F32, b: F32, out: F32): Promise<void>;
  attention(qkv: F32, out: F32, n: number, t: number, d: number, heads: number, causal: boolean): Promise<void>;
  embedding(ids: Int32Array, table: F32, out: F32, vocab: number, dim: number): Promise<void>;
  transpose12(x: F32, out: F32, a: number, b: number, c: number): Promise<void>;
  prependToken(x: F32, token: F32, out: F32, n: number, t: number, d: number): Promise<void>;
  selectToken(x: F32, out: F32, n: number, t: number, d: number, index: number): Promise<void>;
  /** out[r, :] = xs[0][r, :] | xs[1][r, :] | … over `rows` rows (each xs[i] holds rows · width_i). */
  concatLast(xs: F32[], out: F32, rows: number): Promise<void>;
  /** outs[k] = Σ_j coeffs[k·M + j] · basis[j], float64 sums rounded once. */
  combine(basis: F32[], coeffs: Float64Array, outs: F32[]): Promise<void>;
  /** combine, done before it returns, on the calling thread. */
  combineNow(basis: F32[], coeffs: Float64Array, outs: F32[]): void;
  /** per F = fs[i]: dots[i][n·M + j] = ⟨F_n, basis_j[n]⟩, ff[i][n] = ‖F_n‖² (float64), one pass over the basis. */
  featureProducts(fs: F32[], basis: F32[], n: number, dots: Float64Array[], ff: Float64Array[]): Promise<void>;
  featureStats(
    f: F32, basis: F32[], c: Float64Array, n: number, dot: Float64Array, ff: Float64Array, gg: Float64Array,
  ): Promise<void>;
  /** Bench ceiling (native/ops/ceilings.cpp): `threads` threads × `iterations` rounds of 12 FMA chains. */
  ceilingsFmaPeak(threads: number, iterations: number): Promise<{ seconds: number; flops: number; isa: string }>;
  /** Bench ceiling: copies `bytes` bytes `repeats` times over `threads` threads; bytesMoved = 2·bytes (read + write). */
  ceilingsCopy(bytes: number, threads: number, repeats: number): Promise<{ seconds: number[]; bytesMoved: number }>;
}

/** The addon's path: <repo>/build/Release/ctlkit.node (this file is dist/src/backends/native/). */
export const addonPath = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'build', 'Release', 'ctlkit.node',
);

let cached: NativeModule | undefined;

/** Loads the addon once (from `file`, default addonPath); throws an error saying which path
 *  failed, why, and how to build it. */
export function loadNative(file: string = addonPath): NativeModule {
  if (file === addonPath && cached) return cached;
  const require = createRequire(import.meta.url);
  let m: NativeModule;
  try {
    m = require(file) as NativeModule;
  } catch (e) {
    throw new Error(
      `native addon could not be loaded from ${file}: ${(e as Error).message}. ` +
        'Build it with `npm install` or `node scripts/build-native.mjs`.',
    );
  }
  if (file === addonPath) cached = m;
  return m;
}
