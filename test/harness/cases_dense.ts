// Op cases for the dense ops: matmul, linear, conv2d, batchNorm, layerNorm.
import { weightSum } from '../../src/backends/weight_sum.js';
import { numel } from '../../src/tensor.js';
import { b01, nanAt, nonfinite, randn, sh, TOL, uniform, type OpCase } from './case_kit.js';

const list: OpCase[] = [];

// ---- matmul: C[M,N] = A[M,K] · B[K,N]; sizes cross GEMM tile edges (67×129×33, 1×1023×3) ----
export function matmulOp(batch: number[], m: number, k: number, n: number, transB: boolean, special = false): OpCase {
  const aShape = [...batch, m, k];
  return {
    op: 'matmul',
    vars: () => `matmul(A=${sh(aShape)},N=${n},transB=${b01(transB)}${special ? ',nonfinite' : ''})`,
    make: (rng) => {
      const a = randn(rng, aShape);
      return [special ? nonfinite(a, 37) : a, randn(rng, transB ? [n, k] : [k, n])];
    },
    run: (be, [a, b]) => be.matmul(a, b, transB),
    tol: TOL.reduction,
    flops: 2 * numel(batch) * m * k * n,
  };
}
const matmulCase = (...a: Parameters<typeof matmulOp>): void => void list.push(matmulOp(...a));
for (const t of [false, true]) {
  matmulCase([], 1, 1, 1, t);
  matmulCase([], 3, 7, 5, t);
  matmulCase([], 67, 129, 33, t);
  matmulCase([], 1, 1023, 3, t);
  matmulCase([], 130, 67, 257, t);
}
matmulCase([], 33, 1, 7, false);
matmulCase([2, 3], 5, 9, 4, false);
matmulCase([], 5, 9, 4, false, true);

// ---- linear: y = x · Wᵀ + b, W as [out,in] (torch Linear) or [in,out] (HF Conv1D) ----
function linearCase(xShape: number[], outF: number, layout: 'outIn' | 'inOut', bias: boolean): void {
  const inF = xShape[xShape.length - 1];
  list.push({
    op: 'linear',
    vars: () => `linear(x=${sh(xShape)},out=${outF},layout=${layout},bias=${b01(bias)})`,
    make: (rng) => {
      const ins = [randn(rng, xShape), randn(rng, layout === 'outIn' ? [outF, inF] : [inF, outF], 1 / Math.sqrt(inF))];
      return bias ? [...ins, randn(rng, [outF])] : ins;
    },
    run: (be, [x, w, b]) => be.linear(x, w, b ?? null, layout),
    tol: TOL.reduction,
    flops: 2 * numel(xShape) * outF,
  });
}
for (const layout of ['outIn', 'inOut'] as const) {
  linearCase([1, 1], 1, layout, true);
  linearCase([7, 33], 3, layout, true);
  linearCase([2, 5, 129], 67, layout, true);
  linearCase([3, 1023], 3, layout, false);
}

// ---- conv2d (NCHW): stride, padding, dilation, groups ----
export function convOp(n: number, c: number, h: number, w: number, o: number, kh: number, kw: number,
  s: [number, number], p: [number, number], d: [number, number], g: number,
  { bias = true, special = false }: { bias?: boolean; special?: boolean } = {}): OpCase {
  const pair = (v: [number, number]): string => (v[0] === v[1] ? `${v[0]}` : `${v[0]}x${v[1]}`);
  const oh = Math.floor((h + 2 * p[0] - d[0] * (kh - 1) - 1) / s[0]) + 1;
  const ow = Math.floor((w + 2 * p[1] - d[1] * (kw - 1) - 1) / s[1]) + 1;
  return {
    op: 'conv2d',
    vars: () => `conv2d(N=${n},C=${c},H=${h},W=${w},O=${o},k=${kh}x${kw},s=${pair(s)},p=${pair(p)},d=${pair(d)},g=${g}${bias ? '' : ',nobias'}${special ? ',nonfinite' : ''})`,
    make: (rng) => {
      const x = randn(rng, [n, c, h, w]);
      const ins = [special ? nonfinite(x, 41) : x, randn(rng, [o, c / g, kh, kw], 1 / Math.sqrt((c / g) * kh * kw))];
      return bias ? [...ins, randn(rng, [o])] : ins;
    },
    run: (be, [x, wt, b]) => be.conv2d(x, wt, b ?? null, { stride: s, padding: p, dilation: d, groups: g }),
    tol: TOL.reduction,
    flops: 2 * n * o * oh * ow * (c / g) * kh * kw,
  };
}
const convCase = (...a: Parameters<typeof convOp>): void => void list.push(convOp(...a));
convCase(2, 3, 7, 5, 4, 3, 3, [2, 2], [1, 1], [1, 1], 1);
convCase(1, 1, 1, 1, 1, 1, 1, [1, 1], [0, 0], [1, 1], 1);
convCase(1, 4, 9, 11, 6, 3, 3, [1, 1], [2, 2], [2, 2], 2);
convCase(2, 8, 7, 7, 8, 3, 3, [1, 1], [1, 1], [1, 1], 8, { bias: false });
convCase(2, 3, 33, 33, 16, 7, 7, [2, 2], [3, 3], [1, 1], 1, { bias: false });
convCase(1, 16, 7, 7, 33, 1, 1, [2, 2], [0, 0], [1, 1], 1, { bias: false });
convCase(1, 3, 9, 5, 5, 3, 1, [2, 1], [1, 0], [1, 1], 1);
convCase(1, 5, 12, 12, 7, 4, 4, [4, 4], [0, 0], [1, 1], 1);
convCase(2, 3, 9, 9, 4, 3, 3, [1, 1], [1, 1], [1, 1], 1, { special: true });
// output planes a multiple of 16 positions: native writes them in place (grouped, dilated, 1×1)
convCase(2, 4, 8, 8, 6, 3, 3, [1, 1], [1, 1], [1, 1], 2);
convCase(1, 4, 12, 12, 6, 3, 3, [1, 1], [2, 2], [2, 2], 1);
convCase(3, 6, 8, 8, 5, 1, 1, [1, 1], [0, 0], [1, 1], 1, { bias: false });
// native implicit GEMM with two depth slices (K = 576) and two row blocks (O = 150), written
// through a buffer (9 positions) and in place (64 positions)
convCase(2, 64, 5, 5, 150, 3, 3, [2, 2], [1, 1], [1, 1], 1);
convCase(2, 64, 16, 16, 150, 3, 3, [2, 2], [1, 1], [1, 1], 1, { bias: false });
// output rows of 16 columns (native packs them as whole vectors, zeroing the padded edge lanes)
convCase(2, 8, 16, 16, 8, 3, 3, [1, 1], [1, 1], [1, 1], 1);
convCase(1, 4, 32, 32, 6, 3, 3, [2, 2], [1, 1], [1, 1], 1, { special: true });
// 3×3/stride-1 with ≥ 16 channels: the native Winograd path (partial tiles, padding 0 and 2, NaN/Inf)
convCase(2, 16, 7, 9, 17, 3, 3, [1, 1], [1, 1], [1, 1], 1);
convCase(1, 32, 13, 13, 20, 3, 3, [1, 1], [0, 0], [1, 1], 1, { bias: false });
convCase(3, 17, 4, 4, 33, 3, 3, [1, 1], [2, 2], [1, 1], 1);
convCase(2, 16, 9, 9, 16, 3, 3, [1, 1], [1, 1], [1, 1], 1, { special: true });

// conv2d / linear with the weights as a WeightSum Σ_j c_j W_j over M basis tensors: native conv2d
// forms it while reading the filters (Winograd and implicit GEMM), the others form it first.
function weightSumCase(op: 'conv2d' | 'linear', m: number, dims: number[], coeffs: number[]): OpCase {
  const [n, c, hw, o, k] = dims;
  const wShape = op === 'conv2d' ? [o, c, k, k] : [o, c];
  const xShape = op === 'conv2d' ? [n, c, hw, hw] : [n, c];
  return {
    op,
    vars: () => `${op}(weightSum,M=${m},x=[${xShape.join(',')}],w=[${wShape.join(',')}],c=${coeffs.join('/')})`,
    make: (rng) => [randn(rng, xShape), ...Array.from({ length: m }, () => randn(rng, wShape, 1 / Math.sqrt(c * (op === 'conv2d' ? k * k : 1))))],
    run: (be, [x, ...basis]) => {
      const w = weightSum(basis, Float64Array.from(coeffs));
      return op === 'conv2d' ? be.conv2d(x, w, null, { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 }) : be.linear(x, w, null, 'outIn');
    },
    tol: TOL.reduction,
  };
}
list.push(
  weightSumCase('conv2d', 2, [2, 16, 9, 17, 3], [0.3, 0.7]),  // Winograd
  weightSumCase('conv2d', 3, [1, 5, 7, 6, 3], [1, -0.5, 0.25]),  // implicit GEMM
  weightSumCase('conv2d', 1, [1, 4, 6, 3, 1], [2]),
  weightSumCase('linear', 2, [3, 33, 0, 17, 0], [1.5, -0.5]),
);

// conv2d with its epilogue (BatchNorm → + residual → ReLU): the reference composes the plain ops,
// native fuses it (Winograd output transform, im2col scatter, 1×1 direct GEMM).
function convEpilogueCase(n: number, c: number, hw: number, o: number, k: number, s: number, g: number,
  parts: { bn?: boolean; residual?: boolean; relu?: boolean }): void {
  const p = Math.floor(k / 2);
  const oh = Math.floor((hw + 2 * p - k) / s) + 1;
  const tag = [parts.bn && 'bn', parts.residual && 'residual', parts.relu && 'relu'].filter(Boolean).join('+');
  list.push({
    op: 'conv2d',
    vars: () => `conv2d(N=${n},C=${c},H=${hw},W=${hw},O=${o},k=${k}x${k},s=${s},p=${p},g=${g},epilogue=${tag})`,
    make: (rng) => [randn(rng, [n, c, hw, hw]), randn(rng, [o, c / g, k, k], 1 / Math.sqrt((c / g) * k * k)), randn(rng, [o]),
      randn(rng, [o]), uniform(rng, [o], 0.1, 3), randn(rng, [o]), randn(rng, [o]), randn(rng, [n, o, oh, oh])],
    run: (be, [x, w, b, mean, variance, weight, bias, residual]) => be.conv2d(x, w, b, { stride: [s, s], padding: [p, p], dilation: [1, 1], groups: g }, {
      batchNorm: parts.bn ? { mean, variance, weight, bias, eps: 1e-5 } : undefined,
      residual: parts.residual ? residual : undefined,
      relu: parts.relu,
    }),
    tol: TOL.reduction,
    flops: 2 * n * o * oh * oh * (c / g) * k * k,
  });
}
convEpilogueCase(2, 16, 9, 17, 3, 1, 1, { bn: true, residual: true, relu: true });
convEpilogueCase(1, 24, 6, 16, 3, 1, 1, { bn: true, relu: true });
convEpilogueCase(2, 16, 5, 16, 3, 1, 1, { residual: true });
convEpilogueCase(2, 4, 7, 6, 3, 2, 1, { bn: true, relu: true });
convEpilogueCase(3, 5, 7, 8, 1, 1, 1, { bn: true, residual: true });
convEpilogueCase(1, 5, 7, 8, 1, 1, 1, { relu: true });
convEpilogueCase(2, 4, 5, 4, 3, 1, 2, { bn: true, residual: true, relu: true });

// ---- batchNorm (eval) and layerNorm ----
function batchNormCase(shape: number[]): void {
  list.push({
    op: 'batchNorm',
    vars: () => `batchNorm(x=${sh(shape)},eps=1e-5)`,
    make: (rng) => [randn(rng, shape, 2, 0.5), randn(rng, [shape[1]]), uniform(rng, [shape[1]], 0.1, 3),
      randn(rng, [shape[1]]), randn(rng, [shape[1]])],
    run: (be, [x, mean, variance, w, b]) => be.batchNorm(x, mean, variance, w, b, 1e-5),
    tol: TOL.elementwise,
  });
}
batchNormCase([2, 5, 7, 3]);
batchNormCase([1, 1, 1, 1]);
batchNormCase([3, 33]);

function layerNormCase(shape: number[], eps: number, offset = 0, special = false): void {
  const d = shape[shape.length - 1];
  list.push({
    op: 'layerNorm',
    vars: () => `layerNorm(x=${sh(shape)},eps=${eps}${offset ? `,mean=${offset}` : ''}${special ? ',nan' : ''})`,
    make: (rng) => {
      const x = randn(rng, shape, 1, offset);
      return [special ? nanAt(x, [d + 2]) : x, randn(rng, [d]), randn(rng, [d])];
    },
    run: (be, [x, w, b]) => be.layerNorm(x, w, b, eps),
    tol: TOL.reduction,
  });
}
layerNormCase([1, 1], 1e-5);
layerNormCase([2, 7, 33], 1e-5);
layerNormCase([3, 1023], 1e-6);
layerNormCase([4, 1023], 1e-5, 50);
layerNormCase([3, 7], 1e-5, 0, true);

// l2Normalize: CLIP embeddings before a zero-shot head (widths 512/768 and odd ones), a NaN, a zero row
function l2NormalizeCase(shape: number[], special: '' | 'nan' | 'zero_row' = ''): void {
  const d = shape[shape.length - 1];
  list.push({
    op: 'l2Normalize',
    vars: () => `l2Normalize(x=${sh(shape)}${special ? `,${special}` : ''})`,
    make: (rng) => {
      const x = randn(rng, shape, 3);
      if (special === 'zero_row') x.data.fill(0, d, 2 * d);
      return [special === 'nan' ? nanAt(x, [d + 2]) : x];
    },
    run: (be, [x]) => be.l2Normalize(x),
    tol: TOL.reduction,
  });
}
l2NormalizeCase([1, 1]);
l2NormalizeCase([5, 512]);
l2NormalizeCase([2, 3, 37]);
l2NormalizeCase([3, 1031]);
l2NormalizeCase([3, 7], 'nan');
l2NormalizeCase([3, 7], 'zero_row');

export const denseCases: readonly OpCase[] = list;
