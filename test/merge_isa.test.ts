// The native merge kernels give the same bytes on every ISA level the CPU runs (AVX-512 block
// kernels, the AVX2 clone, the portable loops): mixed input dtypes (BF16, F16 with subnormals, F32,
// signed zeros), many ties in |δ| spread over several blocks, tails shorter than a vector, every
// sparsify / consensus / flag combination and output dtype; model_stock and the Gram sums of karcher
// (2, 3 and 9 models, with and without a base, segments of the whole tensor, of rows longer than a
// block and of single elements); and the same error for a non-finite result.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { loadNative, type NativeModule } from '../src/backends/native/bindings.js';
import { float32ToBf16, float32ToF16 } from '../src/io/half.js';
import { loadMergeAddon, type MergeAddon } from '../src/merge/native.js';

const addon = loadMergeAddon(process.env.CTLKIT_REQUIRE_BACKENDS?.includes('native') ?? false);
const nm = addon ? (loadNative() as NativeModule) : undefined;

function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  return Float32Array.from({ length: n }, (_, i) => {
    const r = next();
    if (i % 97 === 3) return -0;
    if (i % 89 === 5) return 0;
    if (i % 83 === 7) return (r - 0.5) * 2 ** -18; // F16 subnormals
    if (i % 3 === 0) return (r - 0.5) * 3.7; // full mantissas: sums round
    return Math.round((r - 0.5) * 48) / 32; // few magnitudes: many ties
  });
}
const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
function encode(f: Float32Array, dtype: number): Uint8Array {
  return dtype === 0 ? bytes(Float32Array.from(f)) : dtype === 1 ? bytes(float32ToF16(f)) : bytes(float32ToBf16(f));
}

/** Every kernel call on one input set; the hash of all outputs (or error messages). */
async function run(m: MergeAddon, n: number, inf: boolean): Promise<string> {
  const h = createHash('sha256');
  const base = encode(values(n, 1), 2);
  const xd = Int32Array.of(1, 0, 2);
  const xf = [values(n, 2), values(n, 3), values(n, 4)];
  if (inf) xf[1][n - 1] = Infinity;
  const xs = xf.map((f, j) => encode(f, xd[j]));
  const keys = Float64Array.of(11, 12, 13, 14, 15, 16);
  // segments: the whole tensor, its largest proper divisor (rows), single elements (small n)
  const div = Array.from({ length: n }, (_, d) => d + 1).filter((d) => d < n && n % d === 0).pop() ?? n;
  const segs = [...new Set([n, div, ...(n < 100 ? [1] : [])])];
  const many = [...xs, ...Array.from({ length: 6 }, (_, j) => encode(values(n, 20 + j), j % 3))];
  const manyD = Int32Array.from(many, (_, j) => (j < 3 ? xd[j] : (j - 3) % 3));
  for (const seg of segs) {
    for (const [b, M] of [[base, 2], [base, 3], [null, 3], [null, 9]] as const) {
      const sums = new Float64Array((n / seg) * (M * (M + 1)) / 2);
      await m.mergeGram(b, 2, many.slice(0, M), manyD.slice(0, M), seg, sums).then(() => h.update(new Uint8Array(sums.buffer)), (e: Error) => h.update(e.message));
    }
  }
  for (const od of [0, 1, 2]) {
    const out = new Uint8Array(n * (od === 0 ? 4 : 2));
    const call = async (f: () => Promise<void>) => {
      out.fill(0);
      await f().then(() => h.update(out), (e: Error) => h.update(e.message));
    };
    await call(() => m.mergeLinear(xs, xd, Float64Array.of(0.25, -0.5, 1.25), out, od));
    for (const seg of segs) {
      for (const M of [2, 3]) await call(() => m.mergeModelStock(base, 2, xs.slice(0, M), xd.slice(0, M), seg, out, od));
    }
    for (const sp of [0, 1, 2]) {
      for (const cons of [0, 1, 2]) {
        for (const flags of [0, 1, 2, 3]) {
          for (const dens of [[0.35, 0.6, 1], [0.5, 0, 0.999]]) {
            await call(() => m.mergeGta(base, 2, xs, xd, Float64Array.of(0.7, -0.4, 0.3), Float64Array.from(dens), keys, sp, cons, flags, 0.9, out, od));
          }
        }
      }
    }
  }
  return h.digest('hex');
}

test('native merge kernels: the same bytes on every ISA level (linear, task arithmetic, ties, dare, every flag, model_stock, Gram sums)', async () => {
  if (!addon || !nm) return;
  const isas = nm.cpuFeatures().isas;
  try {
    for (const [n, inf] of [[5, false], [17, false], [3 * 16384 + 77, false], [16384 + 33, true]] as const) {
      const got = new Map<string, string>();
      for (const isa of isas) {
        nm.setIsa(isa);
        got.set(isa, await run(addon, n, inf));
      }
      for (const [isa, hash] of got) assert.is(hash, got.get(isas[0]), `n=${n}${inf ? ' with Inf' : ''}: ${isa} differs from ${isas[0]}`);
    }
  } finally {
    nm.setSimd(true);
  }
});

test.run();
