// ISA dispatch (native/runtime/cpu.cpp): the level is chosen once from CPUID + XGETBV, CTLKIT_ISA
// overrides it or the addon refuses to load with one line, setIsa switches it for tests. And the
// 16-wide kernels (AVX-512: 12×32 GEMM tiles over pairs of 16-column panels) at their tails: sizes
// 1, 3, 7, 15, 17, 33, 1023 on every dimension, guard values around the output, NaN/Inf in the inputs
// landing exactly where IEEE arithmetic puts them, on every level this CPU has.
import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addonPath, type NativeModule } from '../src/backends/native/bindings.js';
import { addonForTests } from './harness/native_addon.js';
import { lcgUniform as rng, randArray as rand } from './harness/rng.js';

// Without a built addon these tests are skipped with one line, unless CTLKIT_REQUIRE_BACKENDS names native.
const loaded = addonForTests('native_ops_isa');
const nm = loaded as NativeModule;
const nativeTest = loaded ? test : test.skip;
const isas = loaded ? nm.cpuFeatures().isas : [];
const GUARD = -98765.25, PAD = 19;


/** Runs `code` in a fresh node with CTLKIT_ISA set; its stdout, or the error it threw. */
function withIsaEnv(value: string, code: string): { out: string; err: string } {
  const r = spawnSync(process.execPath, ['-e', `try { const m = require(${JSON.stringify(addonPath)}); process.stdout.write(String(${code})) } catch (e) { process.stderr.write(e.message) }`], {
    env: { ...process.env, CTLKIT_ISA: value },
    encoding: 'utf8',
  });
  return { out: r.stdout.trim(), err: r.stderr.trim() };
}

nativeTest('dispatch: the widest level by default, CTLKIT_ISA forces one, a misspelt or missing one refuses to load', () => {
  const f = nm.cpuFeatures();
  assert.ok(isas.length >= 1 && isas[isas.length - 1] === 'generic', `isas ${isas} end with generic`);
  assert.is(f.bestIsa, isas[0]);
  assert.is(f.avx512, isas.includes('avx512'));
  assert.is(f.avx2Fma, isas.includes('avx2'));
  if (!process.env.CTLKIT_ISA) assert.is(f.chosenIsa, f.bestIsa);
  for (const isa of isas) assert.is(withIsaEnv(isa, 'm.cpuFeatures().isa').out, isa, `CTLKIT_ISA=${isa}`);
  assert.match(withIsaEnv('avx1024', '1').err, /^CTLKIT_ISA=avx1024: expected avx512, avx2 or generic$/);
  if (!isas.includes('avx512')) assert.match(withIsaEnv('avx512', '1').err, /^CTLKIT_ISA=avx512: this CPU \(or its OS\) supports up to /);
  assert.throws(() => nm.setIsa('sse' as never), /setIsa: isa 'sse': expected avx512, avx2 or generic/);
  const before = nm.cpuFeatures().isa;
  nm.setIsa('generic');
  assert.is(nm.cpuFeatures().isa, 'generic');
  assert.is(nm.cpuFeatures().simd, false);
  nm.setSimd(true);
  assert.is(nm.cpuFeatures().isa, before, 'setSimd(true) returns to the level chosen at load');
});

nativeTest('ceilings: an FMA peak per ISA level the CPU has, a level it lacks is refused', async () => {
  for (const isa of isas) {
    const x = await nm.ceilingsFmaPeak(1, 1000, isa);
    assert.is(x.isa, isa);
    assert.is(x.flops, 2 * 12 * (isa === 'avx512' ? 16 : isa === 'avx2' ? 8 : 1) * 1000);
  }
  if (!isas.includes('avx512')) assert.throws(() => nm.ceilingsFmaPeak(1, 10, 'avx512'), /ceilingsFmaPeak: argument 'isa' asks for avx512/);
});

/** C = A·B (B as [n,k] when transB) in float64. */
function refGemm(a: Float32Array, b: Float32Array, m: number, n: number, k: number, transB: boolean): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let p = 0; p < k; p++) {
      const x = a[i * k + p];
      for (let j = 0; j < n; j++) c[i * n + j] += x * (transB ? b[j * k + p] : b[p * n + j]);
    }
  return c;
}

async function checkGemm(m: number, n: number, k: number, transB: boolean, r: () => number, what: string,
  poison?: (a: Float32Array, b: Float32Array) => void): Promise<void> {
  const a = rand(m * k, r), b = rand(k * n, r);
  poison?.(a, b);
  const buf = new Float32Array(m * n + 2 * PAD).fill(GUARD);
  const view = buf.subarray(PAD, PAD + m * n);
  await nm.gemm(a, b, null, view, m, n, k, transB);
  for (let i = 0; i < PAD; i++) {
    if (buf[i] !== GUARD || buf[buf.length - 1 - i] !== GUARD) assert.unreachable(`${what}: guard ${i} from an end overwritten`);
  }
  const want = refGemm(a, b, m, n, k, transB), tol = 1e-5 * Math.sqrt(k);
  for (let i = 0; i < m * n; i++) {
    const g = view[i], w = want[i];
    const ok = Number.isFinite(w) ? Math.abs(g - w) <= tol * Math.max(1, Math.abs(w)) : Object.is(g, w) || (Number.isNaN(g) && Number.isNaN(w));
    if (!ok) assert.unreachable(`${what}: C[${Math.floor(i / n)},${i % n}] = ${g}, expected ${w}`);
  }
}

const TAILS = [1, 3, 7, 15, 17, 33];

nativeTest('gemm tails: every dimension in 1, 3, 7, 15, 17, 33 (and 1023), both B layouts, guards, every ISA level', async () => {
  const r = rng(5);
  try {
    for (const isa of isas) {
      nm.setIsa(isa);
      for (const m of TAILS)
        for (const n of TAILS)
          for (const k of [1, 7, 33]) await checkGemm(m, n, k, (m + n) % 2 === 0, r, `${m}×${n}×${k} ${isa}`);
      for (const [m, n, k] of [[1023, 33, 17], [15, 1023, 7], [17, 3, 1023], [37, 1023, 65]])
        for (const transB of [false, true]) await checkGemm(m, n, k, transB, r, `${m}×${n}×${k} transB=${transB} ${isa}`);
    }
  } finally {
    nm.setSimd(true);
  }
});

nativeTest('gemm NaN/Inf: a NaN in A poisons its row, an Inf in B its column, on every tile position and ISA level', async () => {
  const r = rng(9);
  try {
    for (const isa of isas) {
      nm.setIsa(isa);
      // 37×71: full 12×32 tiles, partial ones and 6×16 edges; the poisoned row/column fall in each kind
      for (const [row, col] of [[0, 0], [13, 40], [36, 70], [24, 65]]) {
        await checkGemm(37, 71, 29, false, r, `NaN row ${row} / Inf col ${col} ${isa}`, (a, b) => {
          a[row * 29 + 5] = NaN;
          b[11 * 71 + col] = Infinity;
        });
        await checkGemm(37, 71, 29, true, r, `transB −Inf col ${col} ${isa}`, (_a, b) => {
          b[col * 29 + 3] = -Infinity;
        });
      }
    }
  } finally {
    nm.setSimd(true);
  }
});

/** Relative closeness for float64 sums of float32 products (different lane orders round differently). */
function near(got: number, want: number): boolean {
  if (!Number.isFinite(want)) return Object.is(got, want) || (Number.isNaN(got) && Number.isNaN(want));
  return Math.abs(got - want) <= 1e-12 * Math.max(1, Math.abs(want));
}

nativeTest('featureProducts / featureStats tails: per-sample sizes 1, 3, 7, 15, 17, 33, 1023, M = 1..3 and 9, NaN/Inf, every ISA level', async () => {
  const r = rng(13);
  try {
    for (const isa of isas) {
      nm.setIsa(isa);
      for (const per of [...TAILS, 1023]) {
        for (const m of [1, 3, 9]) {
          const n = 3;
          const basis = Array.from({ length: m }, () => rand(n * per, r));
          const fs = [rand(n * per, r), rand(n * per, r)];
          if (per > 7) {
            fs[1][per + 5] = NaN;  // sample 1 of the second F
            basis[0][2 * per + per - 1] = Infinity;  // sample 2's last element: a tail lane on 16-wide paths
          }
          const dots = fs.map(() => new Float64Array(n * m).fill(GUARD)), ff = fs.map(() => new Float64Array(n).fill(GUARD));
          await nm.featureProducts(fs, basis, n, dots, ff);
          const c = Float64Array.from({ length: m }, (_, j) => 0.5 - 0.25 * j);
          const dot = new Float64Array(n), f2 = new Float64Array(n), g2 = new Float64Array(n);
          await nm.featureStats(fs[0], basis, c, n, dot, f2, g2);
          for (let s = 0; s < n; s++) {
            const want = { dot: 0, ff: 0, gg: 0 };
            for (let i = s * per; i < (s + 1) * per; i++) {
              let g = 0;
              for (let j = 0; j < m; j++) g += c[j] * basis[j][i];
              want.dot += fs[0][i] * g;
              want.ff += fs[0][i] * fs[0][i];
              want.gg += g * g;
            }
            const what = `per=${per} M=${m} sample ${s} ${isa}`;
            assert.ok(near(dot[s], want.dot) && near(f2[s], want.ff) && near(g2[s], want.gg),
              `featureStats ${what}: ${dot[s]}, ${f2[s]}, ${g2[s]} vs ${want.dot}, ${want.ff}, ${want.gg}`);
            fs.forEach((f, q) => {
              let wf = 0;
              for (let i = s * per; i < (s + 1) * per; i++) wf += f[i] * f[i];
              assert.ok(near(ff[q][s], wf), `featureProducts ff[${q}] ${what}: ${ff[q][s]} vs ${wf}`);
              for (let j = 0; j < m; j++) {
                let wd = 0;
                for (let i = s * per; i < (s + 1) * per; i++) wd += f[i] * basis[j][i];
                assert.ok(near(dots[q][s * m + j], wd), `featureProducts dots[${q}][${s},${j}] ${what}: ${dots[q][s * m + j]} vs ${wd}`);
              }
            });
          }
        }
      }
    }
  } finally {
    nm.setSimd(true);
  }
});

test.run();
