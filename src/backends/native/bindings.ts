// The only file that loads the native addon (build/Release/ctlkit.node) and its typed surface.
// Every op writes into a caller-allocated output and returns a promise: calls with little work
// settle synchronously on the main thread, larger ones run on the libuv pool (native/napi_util.h).
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

type F32 = Float32Array;
type Pair = [number, number];

/** The native kernels' code paths, one per ISA level (native/runtime/cpu.h). */
export type NativeIsa = 'avx512' | 'avx2' | 'generic';

/** What gemm() computes in (native/ops/gemm_bf16.h): float32, or BF16 inputs with float32 sums. */
export type NativeCompute = 'f32' | 'bf16';

export interface NativeCpuFeatures {
  isa: NativeIsa;
  chosenIsa: NativeIsa;
  bestIsa: NativeIsa;
  isas: NativeIsa[];
  avx2Fma: boolean;
  avx512: boolean;
  avx512Bf16: boolean;
  avx512Fp16: boolean;
  amxBf16: boolean;
  f16c: boolean;
  simd: boolean;
}

export interface NativeModule {
  version(): string;
  /** Threads the kernels use (hardware concurrency, or CTLKIT_NUM_THREADS). */
  numThreads(): number;
  /** The kernels' ISA level now (isa), the one chosen at load (CTLKIT_ISA, else the widest: chosenIsa),
   *  the widest the CPU and OS support (bestIsa), all levels that can run (isas, widest first), and
   *  CPU features (AVX-512 = F+BW+VL+DQ with the ZMM state enabled by the OS); simd: isa ≠ generic. */
  cpuFeatures(): NativeCpuFeatures;
  /** Runs the kernels of one ISA level from now on (tests, benches); throws when the CPU lacks it. */
  setIsa(isa: NativeIsa): void;
  /** false: the portable fallback (as setIsa('generic')); true: back to the level chosen at load. */
  setSimd(enabled: boolean): void;
  /** Turns the Winograd F(4×4,3×3) conv path off (the implicit GEMM for every conv) or back on. */
  setWinograd(enabled: boolean): void;
  /** The process-wide GEMM mode from now on: 'bf16' rounds both operands of every plain GEMM (linear
   *  layers, attention products; not convolutions) to BF16 and sums in float32 on AVX512-BF16; throws
   *  when the CPU lacks AVX512-BF16 or the kernel level is below avx512. */
  setCompute(mode: NativeCompute): void;
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
  /** per F = fs[i]: dots[i][n·M + j] = ⟨F_n, basis_j[n]⟩, ff[i][n] = ‖F_n‖² (float64), one pass over the basis. */
  featureProducts(fs: F32[], basis: F32[], n: number, dots: Float64Array[], ff: Float64Array[]): Promise<void>;
  featureStats(
    f: F32, basis: F32[], c: Float64Array, n: number, dot: Float64Array, ff: Float64Array, gg: Float64Array,
  ): Promise<void>;
  /** native/ops/decoder.h: y = x / rms(x) · (w or 1 + w) per row of d. */
  rmsNorm(x: F32, weight: F32, out: F32, rows: number, d: number, eps: number, unitOffset: boolean): Promise<void>;
  /** Rotary embedding (rotate_half) on x[n,t,heads,e] with cos/sin [t, half]. */
  rope(x: F32, cos: F32, sin: F32, out: F32, n: number, t: number, heads: number, e: number, half: number): Promise<void>;
  silu(x: F32, out: F32): Promise<void>;
  /** out = a · b repeated over a (b.length divides a.length). */
  mul(a: F32, b: F32, out: F32): Promise<void>;
  /** dims = [n, t, s, heads, kvHeads, e]; window 0 and softcap 0 mean none. */
  groupedAttention(q: F32, k: F32, v: F32, out: F32, dims: number[], causal: boolean, window: number, scale: number, softcap: number): Promise<void>;
  narrow(x: F32, out: F32, rows: number, d: number, start: number, len: number): Promise<void>;
  /** out = cap · tanh(x / cap) */
  softcap(x: F32, out: F32, cap: number): Promise<void>;
  /** Bench ceiling (native/ops/ceilings.cpp): `threads` threads × `iterations` rounds of 12 FMA chains
   *  of `isa`'s width (the CPU's, whatever setIsa says; throws when it lacks `isa`). */
  ceilingsFmaPeak(threads: number, iterations: number, isa: NativeIsa): Promise<{ seconds: number; flops: number; isa: string }>;
  /** Bench ceiling: copies `bytes` bytes `repeats` times over `threads` threads; bytesMoved = 2·bytes (read + write). */
  ceilingsCopy(bytes: number, threads: number, repeats: number): Promise<{ seconds: number[]; bytesMoved: number }>;
}

/** The addon's path: <repo>/build/Release/ctlkit.node (this file is dist/src/backends/native/), or
 *  $CTLKIT_NATIVE_ADDON (the sanitized build's tests set it to build-asan/Release/ctlkit.node). */
export const addonPath = process.env.CTLKIT_NATIVE_ADDON
  ? path.resolve(process.env.CTLKIT_NATIVE_ADDON)
  : path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'build', 'Release', 'ctlkit.node');

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
