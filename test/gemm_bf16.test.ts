// The BF16 GEMM (native/ops/gemm_bf16*.cpp, setCompute('bf16')): on a CPU with AVX512-BF16, against
// a float64 reference over the same inputs rounded to BF16 (nearest even, here in JS), at tails of
// every dimension (1, 3, 7, 17, 33, 1023; odd k), both B layouts, with a bias and over several depth
// slices (k > 512: the tile then adds to C); and its distance from the float32 GEMM within the
// BF16 rounding bound; and `sweep --compute bf16` end to end. Without AVX512-BF16 (or below the avx512 level), setCompute('bf16') refuses.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { NativeModule } from '../src/backends/native/bindings.js';
import type { SweepResults } from '../src/sweep/types.js';
import { addonForTests } from './harness/native_addon.js';
import { lcgUniform as rng, randArray as rand } from './harness/rng.js';
import { fixture, repoRoot } from './harness/paths.js';

// Without a built addon these tests are skipped with one line, unless CTLKIT_REQUIRE_BACKENDS names native.
const loaded = addonForTests('gemm_bf16');
const nm = loaded as NativeModule;
const nativeTest = loaded ? test : test.skip;
const f = loaded ? nm.cpuFeatures() : null;
const canBf16 = f !== null && f.avx512Bf16 && f.isa === 'avx512';
const bf16Test = canBf16 ? nativeTest : test.skip;
const U32 = 2 ** -24, GUARD = -98765.25, PAD = 19;


const word = new Uint32Array(1), real = new Float32Array(word.buffer);
/** x rounded to BF16 (the top 16 bits of its float32), to nearest, ties to even (finite x). */
function bf16(x: number): number {
  real[0] = x;
  const w = word[0];
  word[0] = ((w + 0x7fff + ((w >>> 16) & 1)) >>> 16) << 16;
  return real[0];
}

/** C = bias + A·B (B as [n,k] when transB) in float64 over `round`ed inputs, and Σ_p |A·B| per entry. */
function refGemm(a: Float32Array, b: Float32Array, bias: Float32Array | null, m: number, n: number, k: number, transB: boolean,
  round: (x: number) => number): { c: Float64Array; abs: Float64Array } {
  const ar = a.map(round), br = b.map(round);
  const c = new Float64Array(m * n), abs = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = bias ? bias[j] : 0, t = 0;
      for (let p = 0; p < k; p++) {
        const v = ar[i * k + p] * (transB ? br[j * k + p] : br[p * n + j]);
        s += v;
        t += Math.abs(v);
      }
      c[i * n + j] = s;
      abs[i * n + j] = t + (bias ? Math.abs(bias[j]) : 0);
    }
  return { c, abs };
}

/** nm.gemm into a view between guard values; the guards must survive. */
async function run(a: Float32Array, b: Float32Array, bias: Float32Array | null, m: number, n: number, k: number, transB: boolean, what: string): Promise<Float32Array> {
  const buf = new Float32Array(m * n + 2 * PAD).fill(GUARD);
  const view = buf.subarray(PAD, PAD + m * n);
  await nm.gemm(a, b, bias, view, m, n, k, transB);
  for (let i = 0; i < PAD; i++)
    if (buf[i] !== GUARD || buf[buf.length - 1 - i] !== GUARD) assert.unreachable(`${what}: guard ${i} from an end overwritten`);
  return view;
}

/** The BF16 GEMM against the BF16-rounded float64 reference: float32 sums of exact products (BF16 ×
 *  BF16 fits in float32) err by at most (k + 2)·2⁻²⁴·Σ|products| (the bias add included). */
async function checkBf16(m: number, n: number, k: number, transB: boolean, withBias: boolean, r: () => number): Promise<void> {
  const what = `${m}×${n}×${k} transB=${transB}${withBias ? ' bias' : ''}`;
  const a = rand(m * k, r), b = rand(k * n, r), bias = withBias ? rand(n, r) : null;
  const got = await run(a, b, bias, m, n, k, transB, what);
  const { c, abs } = refGemm(a, b, bias, m, n, k, transB, bf16);
  for (let i = 0; i < m * n; i++) {
    const tol = (k + 2) * U32 * abs[i] + 1e-30;
    if (!(Math.abs(got[i] - c[i]) <= tol)) assert.unreachable(`${what}: C[${Math.floor(i / n)},${i % n}] = ${got[i]}, expected ${c[i]} ± ${tol}`);
  }
}

bf16Test('bf16 gemm: tails 1, 3, 7, 17, 33 (odd k), 1023 and k over several depth slices, both B layouts, bias', async () => {
  const r = rng(11);
  try {
    nm.setCompute('bf16');
    const tails = [1, 3, 7, 17, 33];
    for (const m of tails)
      for (const n of tails)
        for (const k of [1, 7, 33]) await checkBf16(m, n, k, (m + n + k) % 2 === 0, (m * n) % 3 === 0, r);
    for (const [m, n, k] of [[1023, 33, 17], [15, 1023, 7], [17, 3, 1023], [37, 1023, 65], [25, 70, 1100]])
      for (const transB of [false, true]) await checkBf16(m, n, k, transB, transB, r);
  } finally {
    nm.setCompute('f32');
  }
});

bf16Test('bf16 gemm: inputs round to nearest, ties to even (1 + 2⁻⁸ → 1, 1 + 3·2⁻⁸ → 1 + 2⁻⁶), not truncated', async () => {
  try {
    nm.setCompute('bf16');
    const a = new Float32Array([1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -8 + 2 ** -20]), b = new Float32Array([1]);
    const out = new Float32Array(3);
    await nm.gemm(a, b, null, out, 3, 1, 1, false);
    assert.equal([...out], [1, 1 + 2 ** -6, 1 + 2 ** -7]);
  } finally {
    nm.setCompute('f32');
  }
});

bf16Test('bf16 gemm vs float32 gemm: apart by at most the BF16 rounding bound, and apart (bf16 really ran)', async () => {
  const r = rng(12);
  const [m, n, k] = [197, 768, 768];  // a ViT-B token block through a 768×768 linear layer
  const a = rand(m * k, r), b = rand(k * n, r), bias = rand(n, r);
  const f32 = await run(a, b, bias, m, n, k, true, 'f32');
  let bf: Float32Array;
  try {
    nm.setCompute('bf16');
    bf = await run(a, b, bias, m, n, k, true, 'bf16');
  } finally {
    nm.setCompute('f32');
  }
  const back = await run(a, b, bias, m, n, k, true, 'f32 again');
  assert.equal([...back], [...f32], "setCompute('f32') restores the float32 GEMM bit for bit");
  const { abs } = refGemm(a, b, bias, m, n, k, true, (x) => x);
  // |bf16 − exact| ≤ (2u + u²)·Σ|ab| + (k+2)·2⁻²⁴·Σ|ab| with u = 2⁻⁸; |f32 − exact| ≤ (k+2)·2⁻²⁴·Σ|ab|
  const bound = 2 * 2 ** -8 + 2 ** -16 + 2 * (k + 2) * U32;
  let worst = 0, differs = 0;
  for (let i = 0; i < m * n; i++) {
    const d = Math.abs(bf[i] - f32[i]);
    if (!(d <= bound * abs[i])) assert.unreachable(`C[${Math.floor(i / n)},${i % n}]: bf16 ${bf[i]} vs f32 ${f32[i]}, beyond ${bound} · ${abs[i]}`);
    worst = Math.max(worst, d / abs[i]);
    if (d > 0) differs++;
  }
  assert.ok(differs > (m * n) / 2, `bf16 differs from f32 in ${differs} of ${m * n} entries: the BF16 path did not run`);
  assert.ok(worst < bound / 4, `worst relative error ${worst}: random signs keep it well under the worst case ${bound}`);
});

nativeTest('setCompute: bf16 refused where the CPU lacks AVX512-BF16 or the level is below avx512; bad names refused', () => {
  assert.throws(() => nm.setCompute('f16' as never), /setCompute: argument 'mode' must be 'f32' or 'bf16'/);
  nm.setCompute('f32');
  if (canBf16) {
    try {
      nm.setIsa('avx2');
      assert.throws(() => nm.setCompute('bf16'), /^setCompute\('bf16'\): bf16 needs the avx512 kernel level, but the kernels run at avx2 \(CTLKIT_ISA or setIsa\); use f32$/);
    } finally {
      nm.setSimd(true);
    }
  } else if (!f!.avx512Bf16) {
    assert.throws(() => nm.setCompute('bf16'), /^setCompute\('bf16'\): bf16 needs AVX512-BF16 \(vdpbf16ps\), which this CPU lacks; use f32$/);
  } else {
    assert.throws(() => nm.setCompute('bf16'), /bf16 needs the avx512 kernel level, but the kernels run at/);
  }
});

bf16Test('sweep --compute bf16: results.json says so, and its metrics stay near the float32 sweep\'s', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ctl-bf16-'));
  try {
    const mlp = (n: string) => fixture('sweeps', 'mlp', n);
    const sweep = (out: string, ...extra: string[]) => {
      const r = spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'src', 'cli', 'main.js'), 'sweep', '--interpolate', mlp('ft_a.safetensors'), mlp('ft_b.safetensors'),
        '--alphas', '0.5', '--inputs', mlp('inputs.safetensors'), '--backend', 'native', '--out', out, ...extra], { encoding: 'utf8' });
      assert.is(r.status, 0, r.stderr);
      return JSON.parse(readFileSync(out, 'utf8')) as SweepResults;
    };
    const f32 = sweep(path.join(dir, 'f32.json')), bf = sweep(path.join(dir, 'bf16.json'), '--compute', 'bf16');
    assert.is(bf.compute, 'bf16');
    assert.is(f32.compute, undefined);
    let differs = false;
    for (const l of f32.layers) {
      const x = f32.rows[0].layers[l].coef_alpha_int, y = bf.rows[0].layers[l].coef_alpha_int;
      assert.ok(Math.abs(x - y) <= 0.02 * Math.abs(x), `layer ${l}: coef_alpha_int bf16 ${y} vs f32 ${x}`);
      differs ||= x !== y;
    }
    assert.ok(differs, 'the bf16 sweep computed something else than the float32 one');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
