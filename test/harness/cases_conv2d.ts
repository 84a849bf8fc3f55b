// Op cases for conv2d: strides, padding, dilation, groups, the Winograd and implicit-GEMM paths,
// the fused epilogue, and weights given as a WeightSum (conv2d and linear).
import { weightSum } from '../../src/backends/weight_sum.js';
import { nonfinite, randn, TOL, uniform, type OpCase } from './case_kit.js';

const list: OpCase[] = [];

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
// odd sizes (tiles past the right and bottom borders), 17 channels, and rows of four whole tiles
// side by side (ow = 32: AVX-512 stores a tile row of four at once)
convCase(1, 17, 15, 17, 20, 3, 3, [1, 1], [1, 1], [1, 1], 1);
convCase(2, 33, 33, 7, 16, 3, 3, [1, 1], [0, 0], [1, 1], 1, { bias: false });
convCase(1, 16, 17, 33, 19, 3, 3, [1, 1], [2, 2], [1, 1], 1);
convCase(1, 16, 8, 32, 16, 3, 3, [1, 1], [1, 1], [1, 1], 1);
convCase(1, 17, 15, 17, 16, 3, 3, [1, 1], [1, 1], [1, 1], 1, { special: true });

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
  weightSumCase('conv2d', 3, [1, 17, 15, 13, 3], [0.5, -1.25, 0.75]),  // Winograd, a partial SIMD filter block
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
convEpilogueCase(1, 17, 33, 16, 3, 1, 1, { bn: true, residual: true, relu: true });  // Winograd, partial tiles
convEpilogueCase(1, 16, 32, 16, 3, 1, 1, { residual: true, relu: true });  // Winograd, rows of four whole tiles
convEpilogueCase(2, 4, 7, 6, 3, 2, 1, { bn: true, relu: true });
convEpilogueCase(3, 5, 7, 8, 1, 1, 1, { bn: true, residual: true });
convEpilogueCase(1, 5, 7, 8, 1, 1, 1, { relu: true });
convEpilogueCase(2, 4, 5, 4, 3, 1, 2, { bn: true, residual: true, relu: true });

export const conv2dCases: readonly OpCase[] = list;
