// Op cases for the decoder-LLM ops: rmsNorm (w and 1 + w, per head), rope (full and partial rotary),
// silu, mul, groupedAttention (MHA / GQA / MQA, causal, sliding window, soft-cap, cross lengths),
// narrow, softcap; with NaN/±Inf cases and odd shapes.
import type { HostTensor, OpCase } from './case_kit.js';
import { nanAt, nonfinite, randn, sh, TOL, uniform } from './case_kit.js';

const list: OpCase[] = [];

function rmsNormCase(shape: number[], unitOffset: boolean, special = false): void {
  list.push({
    op: 'rmsNorm',
    vars: () => `rmsNorm(x=${sh(shape)},unitOffset=${unitOffset ? 1 : 0}${special ? ',nonfinite' : ''})`,
    make: (rng) => {
      const x = randn(rng, shape, 2, 0.5);
      return [special ? nonfinite(x, 13) : x, randn(rng, [shape[shape.length - 1]])];
    },
    run: (be, [x, w]) => be.rmsNorm(x, w, 1e-6, unitOffset),
    tol: TOL.reduction,
  });
}
rmsNormCase([1], false);
rmsNormCase([2, 7, 33], false);
rmsNormCase([2, 7, 33], true);
rmsNormCase([3, 5, 4, 16], false); // per head over head_dim
rmsNormCase([1, 3, 2049], true);
rmsNormCase([2, 5, 24], false, true);

// cos/sin tables [T, half] as the decoder builds them: angle = t · θ^(−2i/R)
function ropeTables(t: number, half: number): HostTensor[] {
  const cos = new Float32Array(t * half), sin = new Float32Array(t * half);
  for (let p = 0; p < t; p++) {
    for (let i = 0; i < half; i++) {
      const a = p * Math.pow(10000, -i / half);
      cos[p * half + i] = Math.cos(a);
      sin[p * half + i] = Math.sin(a);
    }
  }
  return [{ data: cos, shape: [t, half] }, { data: sin, shape: [t, half] }];
}
function ropeCase(n: number, t: number, heads: number, e: number, half: number, special = false): void {
  list.push({
    op: 'rope',
    vars: () => `rope(N=${n},T=${t},H=${heads},E=${e},R=${2 * half}${special ? ',nonfinite' : ''})`,
    make: (rng) => {
      const x = randn(rng, [n, t, heads, e]);
      return [special ? nonfinite(x, 7) : x, ...ropeTables(t, half)];
    },
    run: (be, [x, c, s]) => be.rope(x, c, s),
    tol: TOL.elementwise,
  });
}
ropeCase(2, 7, 3, 8, 4);
ropeCase(1, 1, 1, 2, 1);
ropeCase(1, 33, 2, 12, 3); // partial rotary: 6 of 12 dims
ropeCase(2, 5, 4, 10, 0); // no rotary dims: a copy
ropeCase(1, 9, 2, 64, 32, true);

function unaryCase(shape: number[], special: boolean): void {
  list.push({
    op: 'silu',
    vars: () => `silu(x=${sh(shape)}${special ? ',nonfinite' : ''})`,
    make: (rng) => {
      const x = randn(rng, shape, 4);
      return [special ? nonfinite(x, 5) : x];
    },
    run: (be, [x]) => be.silu(x),
    tol: TOL.transcendental,
  });
}
for (const special of [false, true]) {
  unaryCase([1], special);
  unaryCase([2, 7, 33], special);
  unaryCase([1023], special);
}

function mulCase(aShape: number[], bShape: number[], special = false): void {
  list.push({
    op: 'mul',
    vars: () => `mul(a=${sh(aShape)},b=${sh(bShape)}${special ? ',nonfinite' : ''})`,
    make: (rng) => {
      const a = randn(rng, aShape);
      return [special ? nonfinite(a, 4) : a, randn(rng, bShape)];
    },
    run: (be, [a, b]) => be.mul(a, b),
    tol: TOL.exact,
  });
}
mulCase([1], [1]);
mulCase([2, 7, 33], [33]);
mulCase([3, 1023], [3, 1023], true);

interface Attn {
  n: number; t: number; s?: number; heads: number; kv: number; e: number;
  causal: boolean; window?: number; softcap?: number; special?: boolean;
}
function attentionCase(a: Attn): void {
  const s = a.s ?? a.t;
  list.push({
    op: 'groupedAttention',
    vars: () => `groupedAttention(N=${a.n},T=${a.t},S=${s},H=${a.heads},Hkv=${a.kv},E=${a.e},causal=${a.causal ? 1 : 0}` +
      `${a.window ? `,window=${a.window}` : ''}${a.softcap ? `,softcap=${a.softcap}` : ''}${a.special ? ',nan' : ''})`,
    make: (rng) => {
      const q = randn(rng, [a.n, a.t, a.heads * a.e]);
      const k = randn(rng, [a.n, s, a.kv * a.e]);
      const v = uniform(rng, [a.n, s, a.kv * a.e], -2, 2);
      // a NaN in token 1's q of head 0 and in the last key of kv head 0: rows that must turn NaN
      if (a.special) {
        nanAt(q, [a.heads * a.e]);
        nanAt(k, [(s - 1) * a.kv * a.e]);
      }
      return [q, k, v];
    },
    run: (be, [q, k, v]) => be.groupedAttention(q, k, v, {
      heads: a.heads, kvHeads: a.kv, causal: a.causal, window: a.window ?? null, scale: 1 / Math.sqrt(a.e), softcap: a.softcap ?? null,
    }),
    tol: TOL.reduction,
    flops: 4 * a.n * a.heads * a.t * s * a.e,
  });
}
attentionCase({ n: 2, t: 7, heads: 4, kv: 2, e: 8, causal: true });
attentionCase({ n: 1, t: 1, heads: 1, kv: 1, e: 4, causal: true });
attentionCase({ n: 2, t: 9, heads: 3, kv: 3, e: 5, causal: false });
attentionCase({ n: 1, t: 33, heads: 8, kv: 1, e: 16, causal: true }); // MQA
attentionCase({ n: 2, t: 17, heads: 4, kv: 2, e: 12, causal: true, window: 5 });
attentionCase({ n: 1, t: 11, heads: 2, kv: 1, e: 8, causal: true, softcap: 0.5 });
attentionCase({ n: 1, t: 6, s: 13, heads: 2, kv: 1, e: 4, causal: false });
attentionCase({ n: 1, t: 130, heads: 4, kv: 2, e: 64, causal: true, window: 64 });
attentionCase({ n: 2, t: 5, heads: 4, kv: 2, e: 8, causal: true, special: true });

function narrowCase(shape: number[], start: number, length: number): void {
  list.push({
    op: 'narrow',
    vars: () => `narrow(x=${sh(shape)},start=${start},length=${length})`,
    make: (rng) => [randn(rng, shape)],
    run: (be, [x]) => be.narrow(x, start, length),
    tol: TOL.exact,
  });
}
narrowCase([2, 7, 24], 8, 8);
narrowCase([1], 0, 1);
narrowCase([3, 5, 33], 32, 1);

function softcapCase(shape: number[], cap: number, special = false): void {
  list.push({
    op: 'softcap',
    vars: () => `softcap(x=${sh(shape)},cap=${cap}${special ? ',nonfinite' : ''})`,
    make: (rng) => {
      const x = randn(rng, shape, 3 * cap);
      return [special ? nonfinite(x, 5) : x];
    },
    run: (be, [x]) => be.softcap(x, cap),
    tol: TOL.transcendental,
  });
}
softcapCase([1], 30);
softcapCase([2, 7, 33], 30);
softcapCase([3, 1023], 50, true);

export const decoderCases: readonly OpCase[] = list;
