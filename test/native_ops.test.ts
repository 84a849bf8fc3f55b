// Native-addon-only checks: guard values around outputs, argument errors that name the function
// and argument, C++ exceptions as rejected promises, the event loop kept free during big work,
// and every ISA level's kernels (AVX-512, AVX2/FMA, portable) agreeing with the reference. (Op-by-op numerics against the
// reference backend live in the backend-ops suite.)
import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addonPath, loadNative, type NativeIsa, type NativeModule } from '../src/backends/native/bindings.js';
import { weightSum } from '../src/backends/weight_sum.js';
import { createNativeBackend } from '../src/backends/native/index.js';
import { nmse, nonfiniteMismatches } from './harness/compare.js';
import { rejection } from './harness/errors.js';
import { addonForTests } from './harness/native_addon.js';
import { lcgUniform as rng, randArray as rand } from './harness/rng.js';

// Without a built addon these tests are skipped with one line, unless CTLKIT_REQUIRE_BACKENDS names native.
const loaded = addonForTests('native_ops');
const nm = loaded as NativeModule;
const nativeTest = loaded ? test : test.skip;
const GUARD = 12345.5;
/** Every ISA level this CPU can run, widest first (setIsa switches the kernels). */
const isas = loaded ? nm.cpuFeatures().isas : [];
/** Runs body on each level, then returns to the one chosen at load. */
async function onEachIsa(body: (isa: NativeIsa) => Promise<void>): Promise<void> {
  try {
    for (const isa of isas) {
      nm.setIsa(isa);
      await body(isa);
    }
  } finally {
    nm.setSimd(true);
  }
}
const PAD = 37;


/** An output view of n elements inside a larger buffer whose PAD elements either side hold GUARD. */
function guarded(n: number): { buf: Float32Array; view: Float32Array } {
  const buf = new Float32Array(n + 2 * PAD).fill(GUARD);
  return { buf, view: buf.subarray(PAD, PAD + n) };
}
function assertGuards(buf: Float32Array, what: string): void {
  for (let i = 0; i < PAD; i++) {
    assert.is(buf[i], GUARD, `${what}: guard before the output at ${i} was overwritten`);
    assert.is(buf[buf.length - 1 - i], GUARD, `${what}: guard after the output at ${i} was overwritten`);
  }
}

/** C = A·B (B as [n,k] when transB) in float64. */
function refGemm(a: Float32Array, b: Float32Array, m: number, n: number, k: number, transB: boolean): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p] * (transB ? b[j * k + p] : b[p * n + j]);
      c[i * n + j] = s;
    }
  return c;
}
function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  assert.is(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const ok = Math.abs(got[i] - want[i]) <= tol * Math.max(1, Math.abs(want[i]));
    if (!ok) assert.unreachable(`${what}: [${i}] = ${got[i]}, expected ${want[i]}`);
  }
}

nativeTest('gemm: odd shapes, both B layouts, every ISA level, guards intact', async () => {
  const r = rng(1);
  const shapes: [number, number, number][] = [[1, 1, 1], [7, 33, 3], [13, 17, 300], [6, 16, 256], [33, 1, 7], [65, 130, 257]];
  await onEachIsa(async (isa) => {
    for (const [m, n, k] of shapes) {
      for (const transB of [false, true]) {
        const a = rand(m * k, r), b = rand(k * n, r), bias = rand(n, r);
        const { buf, view } = guarded(m * n);
        await nm.gemm(a, b, bias, view, m, n, k, transB);
        const want = refGemm(a, b, m, n, k, transB).map((v, i) => v + bias[i % n]);
        const what = `gemm ${m}×${n}×${k} transB=${transB} isa=${isa}`;
        assertClose(view, want, 1e-5 * Math.sqrt(k), what);
        assertGuards(buf, what);
      }
    }
  });
});

nativeTest('conv2d: guards intact around a strided, padded, grouped convolution', async () => {
  const r = rng(2);
  const x = rand(2 * 4 * 9 * 7, r), w = rand(6 * 2 * 3 * 3, r);
  const oh = Math.floor((9 + 2 - 2 * 2 - 1) / 2) + 1, ow = Math.floor((7 + 2 - 2 - 1) / 1) + 1;
  const { buf, view } = guarded(2 * 6 * oh * ow);
  await nm.conv2d(x, w, null, view, [2, 4, 9, 7], [6, 2, 3, 3], [2, 1], [1, 1], [2, 1], 2, null, 0, null, false, null, null);
  assertGuards(buf, 'conv2d');
  // one output checked by hand: sample 1, channel 4 (group 1), position (2, 3)
  let s = 0;
  for (let ci = 0; ci < 2; ci++)
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        const iy = 2 * 2 - 1 + i * 2, ix = 3 - 1 + j;
        if (iy >= 0 && iy < 9 && ix >= 0 && ix < 7) s += w[((4 * 2 + ci) * 3 + i) * 3 + j] * x[((1 * 4 + 2 + ci) * 9 + iy) * 7 + ix];
      }
  assertClose([view[((1 * 6 + 4) * oh + 2) * ow + 3]], [s], 1e-5, 'conv2d value');

  // 4×4 output planes (a multiple of the GEMM's 16 columns): written in place, one GEMM for both samples
  const x2 = rand(2 * 4 * 8 * 8, r), w2 = rand(4 * 2 * 3 * 3, r), b2 = rand(4, r);
  const g2 = guarded(2 * 4 * 4 * 4);
  await nm.conv2d(x2, w2, b2, g2.view, [2, 4, 8, 8], [4, 2, 3, 3], [2, 2], [1, 1], [1, 1], 2, null, 0, null, true, null, null);
  assertGuards(g2.buf, 'conv2d in place');
  for (const [smp, oc, oy, ox] of [[0, 0, 0, 0], [1, 3, 3, 3], [1, 1, 2, 1], [0, 2, 1, 2]]) {  // groups: oc 0–1 read channels 0–1, oc 2–3 read 2–3
    let v = b2[oc];
    for (let ci = 0; ci < 2; ci++)
      for (let i = 0; i < 3; i++)
        for (let j = 0; j < 3; j++) {
          const iy = oy * 2 - 1 + i, ix = ox * 2 - 1 + j, c = (oc < 2 ? 0 : 2) + ci;
          if (iy >= 0 && iy < 8 && ix >= 0 && ix < 8) v += w2[((oc * 2 + ci) * 3 + i) * 3 + j] * x2[((smp * 4 + c) * 8 + iy) * 8 + ix];
        }
    assertClose([g2.view[((smp * 4 + oc) * 4 + oy) * 4 + ox]], [Math.max(v, 0)], 1e-5, `conv2d in place [${smp},${oc},${oy},${ox}]`);
  }
});

// Winograd F(4×4,3×3) takes 3×3/stride-1 convs with ≥ 16 channels: shapes with partial tiles, a
// padding that is not 1, several tile blocks (shared filters) and a deep layer (per-task filters).
nativeTest('conv2d Winograd path: matches im2col + GEMM on every ISA level, epilogue, non-finite inputs, guards', async () => {
  const r = rng(11);
  const cases: { n: number; c: number; h: number; w: number; o: number; p: number; nonfinite?: boolean }[] = [
    { n: 2, c: 16, h: 7, w: 9, o: 17, p: 1 },
    { n: 1, c: 20, h: 13, w: 6, o: 16, p: 0 },
    { n: 3, c: 17, h: 4, w: 4, o: 33, p: 2 },
    { n: 8, c: 64, h: 64, w: 64, o: 64, p: 1 },
    { n: 2, c: 512, h: 4, w: 4, o: 512, p: 1 },
    { n: 2, c: 16, h: 9, w: 9, o: 16, p: 1, nonfinite: true },
    { n: 1, c: 16, h: 6, w: 300, o: 16, p: 1 },  // 75 tiles per row: a task holds part of a row
    { n: 2, c: 16, h: 1, w: 2, o: 16, p: 1 },  // smaller than the kernel: every patch mostly padding
    // odd sizes: tiles past the right and bottom borders, 17 channels (a partial SIMD filter block)
    { n: 1, c: 17, h: 15, w: 17, o: 20, p: 1 },
    { n: 2, c: 33, h: 33, w: 7, o: 16, p: 0 },
    { n: 1, c: 16, h: 17, w: 33, o: 19, p: 2 },
    { n: 3, c: 515, h: 5, w: 9, o: 57, p: 1 },  // per-task filters, a last filter chunk of 3 channels
  ];
  try {
    for (const isa of isas) {
      nm.setIsa(isa);
      for (const k of cases) {
        if (isa === 'generic' && k.c * k.o * k.h * k.w * k.n > 1 << 22) continue;  // the portable path on the small ones only
        const what = `conv ${JSON.stringify(k)} isa=${isa}`;
        const oh = k.h + 2 * k.p - 2, ow = k.w + 2 * k.p - 2, size = k.n * k.o * oh * ow;
        const x = rand(k.n * k.c * k.h * k.w, r), w = rand(k.o * k.c * 9, r).map((v) => v / Math.sqrt(k.c * 9)), b = rand(k.o, r);
        if (k.nonfinite) {
          x[5] = NaN;
          x[k.h * k.w + 40] = Infinity;
          x[2 * k.h * k.w + 7] = -Infinity;
        }
        const bn = [rand(k.o, r), rand(k.o, r).map((v) => v + 1.5), rand(k.o, r), rand(k.o, r)];
        const residual = rand(size, r);
        for (const epi of [false, true]) {
          const run = async (wino: boolean): Promise<{ buf: Float32Array; view: Float32Array }> => {
            nm.setWinograd(wino);
            const out = guarded(size);
            await nm.conv2d(x, w, b, out.view, [k.n, k.c, k.h, k.w], [k.o, k.c, 3, 3], [1, 1], [k.p, k.p], [1, 1], 1,
              epi ? bn : null, 1e-5, epi ? residual : null, epi, null, null);
            return out;
          };
          const direct = await run(false), wino = await run(true);
          assertGuards(wino.buf, `${what} epilogue=${epi}`);
          assert.equal(nonfiniteMismatches(wino.view, direct.view), [], `${what} epilogue=${epi}: NaN/Inf positions`);
          const e = nmse(wino.view, direct.view);
          assert.ok(e <= 1e-10, `${what} epilogue=${epi}: nmse ${e} vs im2col + GEMM`);
          if (k.nonfinite) assert.ok(wino.view.some(Number.isNaN), `${what}: NaN propagated`);
        }
      }
    }
  } finally {
    nm.setSimd(true);
    nm.setWinograd(true);
  }
});

nativeTest('combine: float64 sums rounded once, guards intact around every output', async () => {
  const r = rng(3);
  const len = 4099; // not a multiple of the SIMD width or the block size
  const basis = [rand(len, r), rand(len, r), rand(len, r)];
  const coeffs = Float64Array.from([0.1, 0.2, 0.7, 1.5, -0.25, -0.25]);
  const outs = [guarded(len), guarded(len)];
  await nm.combine(basis, coeffs, outs.map((o) => o.view));
  outs.forEach((o, k) => {
    assertGuards(o.buf, `combine row ${k}`);
    for (let i = 0; i < len; i++) {
      let acc = 0;
      for (let j = 0; j < 3; j++) acc += coeffs[k * 3 + j] * basis[j][i];
      assert.is(o.view[i], Math.fround(acc), `combine row ${k} [${i}]`);
    }
  });
});

// conv2d with the weights given as Σ_j c_j W_j (formed while the filters are read) must equal the conv
// of combine's output bit for bit, on every conv path: Winograd (both schedules, SIMD and portable,
// and its non-finite fallback), the implicit GEMM (stride 2, 1×1).
nativeTest('conv2d weight sum: bit-identical to combine + conv2d on every path', async () => {
  const r = rng(29);
  const cases: { n: number; c: number; hw: number; o: number; k: number; s: number; nonfinite?: boolean }[] = [
    { n: 2, c: 16, hw: 9, o: 17, k: 3, s: 1 },   // Winograd, shared filters
    { n: 2, c: 512, hw: 4, o: 40, k: 3, s: 1 },  // Winograd, per-task filters
    { n: 1, c: 17, hw: 15, o: 13, k: 3, s: 1 },  // Winograd, a partial SIMD filter block
    { n: 1, c: 515, hw: 5, o: 57, k: 3, s: 1 },  // Winograd, per-task filters, a last chunk of 3 channels
    { n: 2, c: 16, hw: 8, o: 16, k: 3, s: 1, nonfinite: true },  // Winograd falls back to the implicit GEMM
    { n: 2, c: 8, hw: 9, o: 12, k: 3, s: 2 },
    { n: 3, c: 8, hw: 8, o: 12, k: 1, s: 2 },
  ];
  try {
    for (const isa of isas) {
      nm.setIsa(isa);
      for (const k of cases) {
        for (const m of [1, 2, 3]) {
          const what = `${JSON.stringify(k)} M=${m} isa=${isa}`;
          const p = k.k === 3 ? 1 : 0, oh = Math.floor((k.hw + 2 * p - k.k) / k.s) + 1, size = k.n * k.o * oh * oh;
          const x = rand(k.n * k.c * k.hw * k.hw, r), wl = k.o * k.c * k.k * k.k;
          if (k.nonfinite) x[3] = Infinity;
          const basis = Array.from({ length: m }, () => rand(wl, r));
          const coeffs = Float64Array.from({ length: m }, (_, j) => [0.3, 0.7, -1.25][j]);
          const w = new Float32Array(wl);
          await nm.combine(basis, coeffs, [w]);
          const plain = guarded(size), summed = guarded(size);
          const run = (out: Float32Array, wt: Float32Array | null, sum: Float32Array[] | null) =>
            nm.conv2d(x, wt, null, out, [k.n, k.c, k.hw, k.hw], [k.o, k.c, k.k, k.k], [k.s, k.s], [p, p], [1, 1], 1, null, 0, null, true,
              sum, sum ? coeffs : null);
          await run(plain.view, w, null);
          await run(summed.view, null, basis);
          assertGuards(summed.buf, what);
          const a = new Uint32Array(plain.view.buffer, plain.view.byteOffset, size);
          const b = new Uint32Array(summed.view.buffer, summed.view.byteOffset, size);
          const diff = a.findIndex((v, i) => v !== b[i]);
          assert.is(diff, -1, `${what}: output ${diff} differs (${plain.view[diff]} vs ${summed.view[diff]})`);
        }
      }
    }
  } finally {
    nm.setSimd(true);
  }
});

nativeTest('backend: conv2d reads a WeightSum as the formed weights; linear forms it; inputs released mid-op stay intact', async () => {
  const be = await createNativeBackend();
  const r = rng(31);
  const shape = [32, 64, 3, 3], len = 32 * 64 * 9;
  const b0 = rand(len, r), b1 = rand(len, r);
  const basis = [be.upload(b0, shape), be.upload(b1, shape)];
  const sumOf = (c0: number, c1: number) => Float32Array.from({ length: len }, (_, i) => c0 * b0[i] + c1 * b1[i]);
  const x = be.upload(rand(2 * 64 * 6 * 6, r), [2, 64, 6, 6]);
  const conv = { stride: [1, 1] as [number, number], padding: [1, 1] as [number, number], dilation: [1, 1] as [number, number], groups: 1 };
  // the conv of a weight sum equals the conv of the formed weights, bit for bit
  const ySum = await be.read(await be.conv2d(x, weightSum(basis, Float64Array.from([0.25, 0.75])), null, conv));
  const [formed] = await be.combine(basis, Float64Array.from([0.25, 0.75]), 1);
  assert.equal(Array.from(await be.read(formed)), Array.from(sumOf(0.25, 0.75)), 'combine forms the sum');
  const yFormed = await be.read(await be.conv2d(x, formed, null, conv));
  assert.equal(Array.from(ySum), Array.from(yFormed), 'conv of a weight sum');
  // linear takes a sum through the shared fallback (formed by combine, released after)
  const lb = [be.upload(rand(12, r), [3, 4]), be.upload(rand(12, r), [3, 4])];
  const lx = be.upload(rand(8, r), [2, 4]);
  const yl = await be.read(await be.linear(lx, weightSum(lb, Float64Array.from([2, -1])), null, 'outIn'));
  const [lw] = await be.combine(lb, Float64Array.from([2, -1]), 1);
  assert.equal(Array.from(yl), Array.from(await be.read(await be.linear(lx, lw, null, 'outIn'))), 'linear of a weight sum');
  // a basis released while a conv reads it through a sum keeps its storage out of the pool until
  // the conv settles (outputs of the same length would otherwise take it and overwrite it)
  const storage = (t: unknown): unknown => (t as { data: Float32Array }).data;
  const fresh = [be.upload(b0, shape), be.upload(b1, shape)];
  const inFlight = be.conv2d(x, weightSum(fresh, Float64Array.from([1, 0.5])), null, conv);  // settles after the next await
  const held = storage(fresh[1]);
  be.release(fresh[1]);
  const during = be.upload(new Float32Array(len), shape);
  const meanwhile = await be.relu(during);  // same length: would take the released storage
  assert.ok(storage(meanwhile) !== held, 'released basis storage reused while a conv reads it');
  const y3 = await be.read(await inFlight);
  const after = await be.relu(during);
  assert.ok(storage(after) === held, 'released basis storage back in the pool once the conv settled');
  const wantY3 = await be.read(await be.conv2d(x, be.upload(sumOf(1, 0.5), shape), null, conv));
  assert.equal(Array.from(y3), Array.from(wantY3), 'conv while its basis is released');
  // any input, released through a reshaped view (views share the storage the guard is on)
  const big = be.upload(rand(len, r), shape);
  const want = await be.read(await be.relu(big));
  const reading = be.relu(big);
  be.release(be.reshape(big, [len]));
  const taker = await be.relu(be.upload(new Float32Array(len).fill(-5), shape));  // same length: would take it
  assert.ok(storage(taker) !== storage(big), 'released input storage reused while relu reads it');
  assert.equal(Array.from(await be.read(await reading)), Array.from(want), 'relu while its input is released');
  await be.dispose();
});

nativeTest('bad arguments: errors name the function and the argument, nothing is written', async () => {
  const a = new Float32Array(6), b = new Float32Array(6);
  const { buf, view } = guarded(4);
  assert.throws(() => nm.gemm(a, b, null, new Float32Array(5), 2, 2, 3, false), /gemm: argument 'out' has 5 elements, expected 4/);
  assert.throws(() => nm.gemm(a, new Float64Array(6) as unknown as Float32Array, null, view, 2, 2, 3, false), /gemm: argument 'b' must be a Float32Array/);
  assert.throws(() => nm.gemm(a, b, null, view, 2, 2, 3.5, false), /gemm: argument 'k' must be an integer/);
  assert.throws(() => nm.gemm(a, b, null, view, -2, 2, 3, false), /gemm: argument 'm' must be an integer/);
  assert.throws(() => (nm.gemm as unknown as (...x: unknown[]) => unknown)(a, b), /gemm: expected 8 arguments, got 2/);
  assert.throws(
    () => nm.conv2d(new Float32Array(48), new Float32Array(27), null, view, [1, 3, 4, 4], [1, 3, 3, 3], [1, 1], [0, 0], [1, 1], 2, null, 0, null, false, null, null),
    /conv2d: argument 'groups' must divide/,
  );
  assert.throws(
    () => nm.conv2d(new Float32Array(48), new Float32Array(27), null, view, [1, 3, 4], [1, 3, 3, 3], [1, 1], [0, 0], [1, 1], 1, null, 0, null, false, null, null),
    /conv2d: argument 'xShape' must have 4 entries/,
  );
  const one = new Float32Array(1);
  assert.throws(
    () => nm.conv2d(new Float32Array(48), new Float32Array(27), null, view, [1, 3, 4, 4], [1, 3, 3, 3], [1, 1], [0, 0], [1, 1], 1, [one, one, new Float32Array(2), one], 1e-5, null, false, null, null),
    /conv2d: argument 'bn\[2\] \(weight\)' must have 1 elements/,
  );
  assert.throws(
    () => nm.conv2d(new Float32Array(48), new Float32Array(27), null, view, [1, 3, 4, 4], [1, 3, 3, 3], [1, 1], [0, 0], [1, 1], 1, null, 0, new Float32Array(3), false, null, null),
    /conv2d: argument 'residual' has 3 elements, expected 4/,
  );
  const conv = (w: Float32Array | null, basis: Float32Array[] | null, coeffs: Float64Array | null) => () =>
    nm.conv2d(new Float32Array(48), w, null, view, [1, 3, 4, 4], [1, 3, 3, 3], [1, 1], [0, 0], [1, 1], 1, null, 0, null, false, basis, coeffs);
  const w27 = new Float32Array(27);
  assert.throws(conv(w27, [w27], Float64Array.of(1)), /conv2d: argument 'w' must be null exactly when wBasis is given/);
  assert.throws(conv(null, null, null), /conv2d: argument 'w' must be null exactly when wBasis is given/);
  assert.throws(conv(w27, null, Float64Array.of(1)), /conv2d: argument 'wCoeffs' must be null without wBasis/);
  assert.throws(conv(null, [w27, new Float32Array(26)], Float64Array.of(1, 2)), /conv2d: argument 'wBasis\[1\]' has 26 elements, expected 27/);
  assert.throws(conv(null, [w27, w27], Float64Array.of(1)), /conv2d: argument 'wCoeffs' has 1 elements, expected 2/);
  assert.throws(conv(null, [], new Float64Array(0)), /conv2d: argument 'wBasis' must hold at least one tensor/);
  assert.throws(() => nm.combine([a, new Float32Array(5)], new Float64Array(2), [view]), /combine: argument 'basis' \[1\] has 5 elements/);
  assert.throws(() => nm.combine([a], new Float64Array(2), [new Float32Array(6)]), /combine: argument 'coeffs' has 2 elements, expected 1/);
  assert.throws(() => nm.attention(new Float32Array(18), new Float32Array(6), 1, 1, 6, 4, false), /attention: argument 'heads' must divide d = 6/);
  // a std::exception on the main thread (size overflow) is a JS error, not a crash
  assert.throws(() => nm.attention(new Float32Array(3), new Float32Array(1), 2 ** 40, 2 ** 40, 1, 1, false), /attention: tensor size overflows/);
  assertGuards(buf, 'after rejected calls');
  assert.ok(view.every((v) => v === GUARD), 'output untouched');
});

nativeTest('a C++ exception rejects the promise with its message (sync and async paths)', async () => {
  const dim = 1024, vocab = 10;
  const table = new Float32Array(vocab * dim);
  const big = new Int32Array(100).fill(3); // 100·1024 elements: queued on the libuv pool
  big[57] = 11;
  const msg = await rejection(nm.embedding(big, table, new Float32Array(100 * dim), vocab, dim));
  assert.match(msg, /embedding: id 11 at position 57 is out of range \[0, 10\)/);
  const small = Int32Array.from([0, -1]); // tiny: runs synchronously, still a rejection
  assert.match(await rejection(nm.embedding(small, table, new Float32Array(2 * dim), vocab, dim)), /id -1 at position 1/);
});

nativeTest('a big GEMM leaves the event loop free (a timer fires, a small op completes, before it settles)', async () => {
  const s = 768;
  const a = new Float32Array(s * s).fill(1), c = new Float32Array(s * s);
  let fired = false;
  const timer = setTimeout(() => (fired = true), 0);
  let gemmDone = false;
  const big = nm.gemm(a, a, null, c, s, s, s, false).then(() => (gemmDone = true));
  // a small call meanwhile runs inline on this thread instead of waiting for the busy pool
  const y = new Float32Array(1000);
  await nm.relu(Float32Array.from({ length: 1000 }, (_, i) => i - 500), y);
  assert.not.ok(gemmDone, 'the small relu waited for the big GEMM');
  assert.is(y[0], 0);
  assert.is(y[999], 499);
  await big;
  clearTimeout(timer);
  assert.ok(fired, 'the timer did not fire while the GEMM ran');
  assert.is(c[12345], s);
});

nativeTest('backend: released storage is reused for outputs without stale values; K = 0 matmul gives zeros', async () => {
  const be = await createNativeBackend();
  const x = be.upload(Float32Array.from([-1, 2, -3, 4]), [2, 2]);
  const first = await be.relu(x);
  assert.equal(Array.from(await be.read(first)), [0, 2, 0, 4]);
  be.release(first); // its storage now backs the next output of 4 elements
  const second = await be.add(x, be.upload(Float32Array.from([10, 20]), [2]));
  assert.equal(Array.from(await be.read(second)), [9, 22, 7, 24]);
  be.release(second);
  const empty = await be.matmul(be.upload(new Float32Array(0), [2, 2, 0]), be.upload(new Float32Array(0), [0, 1]), false);
  assert.equal([...empty.shape], [2, 2, 1]);
  assert.equal(Array.from(await be.read(empty)), [0, 0, 0, 0]);
  await be.dispose();
});

nativeTest('a missing addon is an error naming the path, the loader message and the build command', () => {
  assert.throws(
    () => loadNative('/nonexistent/ctlkit.node'),
    (e: Error) =>
      /could not be loaded from \/nonexistent\/ctlkit\.node: .*Cannot find module/.test(e.message) &&
      /npm install.*node scripts\/build-native\.mjs/.test(e.message),
  );
});

nativeTest('runtime: thread count (CTLKIT_NUM_THREADS overrides it) and CPU features are reported', () => {
  assert.ok(nm.numThreads() >= 1);
  const threads = (env: string): string =>
    spawnSync(process.execPath, ['-e', `process.stdout.write(String(require(${JSON.stringify(addonPath)}).numThreads()))`], {
      env: { ...process.env, CTLKIT_NUM_THREADS: env },
      encoding: 'utf8',
    }).stdout.trim();
  assert.is(threads('3'), '3');
  assert.is(threads('zero'), String(nm.numThreads()), 'an invalid value falls back to the core count');
  const f = nm.cpuFeatures();
  assert.type(f.avx2Fma, 'boolean');
  assert.is(f.simd, f.isa !== 'generic');
});

test.run();
