// Data movement and lookups: add (suffix broadcast), transpose12, prependToken, selectToken, embedding,
// concatLast.
import { numel, shapeStr } from '../../tensor.js';
import { concatLastShape } from '../concat_last_shape.js';
import type { DeviceTensor } from '../backend.js';
import { expectRank, f32, ref, wrap, type RefTensor } from './tensor_store.js';

// y = a + b, b's shape a suffix of a's (b repeats over a's leading dims)
export function add(aT: DeviceTensor, bT: DeviceTensor): RefTensor {
  const a = f32('add', 'a', aT);
  const b = f32('add', 'b', bT);
  const off = a.shape.length - b.shape.length;
  if (off < 0 || b.shape.some((dim, i) => dim !== a.shape[off + i])) {
    throw new Error(`add: b ${shapeStr(b.shape)} must be a suffix of a's shape ${shapeStr(a.shape)}`);
  }
  const out = new Float32Array(a.data.length);
  const m = b.data.length;
  for (let i = 0; i < out.length; i++) out[i] = a.data[i] + b.data[i % m];
  return wrap(out, a.shape);
}

// y[a, c, b] = x[a, b, c]
export function transpose12(xT: DeviceTensor): RefTensor {
  const x = f32('transpose12', 'x', xT);
  expectRank('transpose12', 'x', x.shape, 3, '[A, B, C]');
  const [na, nb, nc] = x.shape;
  const out = new Float32Array(x.data.length);
  for (let a = 0; a < na; a++) {
    for (let b = 0; b < nb; b++) {
      for (let c = 0; c < nc; c++) out[(a * nc + c) * nb + b] = x.data[(a * nb + b) * nc + c];
    }
  }
  return wrap(out, [na, nc, nb]);
}

// y[n, 0] = token, y[n, t+1] = x[n, t]   (token [D], or [1, 1, D] as torch stores a class token)
export function prependToken(xT: DeviceTensor, tokenT: DeviceTensor): RefTensor {
  const x = f32('prependToken', 'x', xT);
  const tok = f32('prependToken', 'token', tokenT);
  expectRank('prependToken', 'x', x.shape, 3, '[N, T, D]');
  const [n, t, d] = x.shape;
  const tl = tok.shape.length;
  if (tl < 1 || tok.shape[tl - 1] !== d || tok.data.length !== d) {
    throw new Error(`prependToken: token must have shape [${d}] (or [1, 1, ${d}]) to match x ${shapeStr(x.shape)}, got ${shapeStr(tok.shape)}`);
  }
  const out = new Float32Array(n * (t + 1) * d);
  for (let b = 0; b < n; b++) {
    out.set(tok.data, b * (t + 1) * d);
    out.set(x.data.subarray(b * t * d, (b + 1) * t * d), (b * (t + 1) + 1) * d);
  }
  return wrap(out, [n, t + 1, d]);
}

// y[n, :] = x[n, index, :]
export function selectToken(xT: DeviceTensor, index: number): RefTensor {
  const x = f32('selectToken', 'x', xT);
  expectRank('selectToken', 'x', x.shape, 3, '[N, T, D]');
  const [n, t, d] = x.shape;
  if (!Number.isInteger(index) || index < 0 || index >= t) {
    throw new Error(`selectToken: index ${index} is out of range for ${t} tokens (x ${shapeStr(x.shape)})`);
  }
  const out = new Float32Array(n * d);
  for (let b = 0; b < n; b++) out.set(x.data.subarray((b * t + index) * d, (b * t + index + 1) * d), b * d);
  return wrap(out, [n, d]);
}

// y[..., :] = table[ids[...], :]
export function embedding(idsT: DeviceTensor, tableT: DeviceTensor): RefTensor {
  const ids = ref('embedding', 'ids', idsT);
  if (!(ids.data instanceof Int32Array)) throw new Error(`embedding: ids must be int32, got ${ids.dtype}`);
  const table = f32('embedding', 'table', tableT);
  expectRank('embedding', 'table', table.shape, 2, '[V, D]');
  const [v, d] = table.shape;
  const out = new Float32Array(ids.data.length * d);
  for (let i = 0; i < ids.data.length; i++) {
    const id = ids.data[i];
    if (id < 0 || id >= v) {
      throw new Error(`embedding: id ${id} at flat index ${i} is out of range for a vocabulary of ${v} tokens`);
    }
    out.set(table.data.subarray(id * d, (id + 1) * d), i * d);
  }
  return wrap(out, [...ids.shape, d]);
}

// y[r, off_i + c] = xs[i][r, c]  (concatenation along the last dim; r runs over the leading dims)
export function concatLast(xsT: readonly DeviceTensor[]): RefTensor {
  const xs = xsT.map((t, i) => f32('concatLast', `xs[${i}]`, t));
  const shape = concatLastShape(xs.map((x) => x.shape));
  const width = shape[shape.length - 1];
  const rows = width === 0 ? 0 : numel(shape) / width;
  const out = new Float32Array(numel(shape));
  let off = 0;
  for (const x of xs) {
    const w = x.shape[x.shape.length - 1];
    for (let r = 0; r < rows; r++) for (let c = 0; c < w; c++) out[r * width + off + c] = x.data[r * w + c];
    off += w;
  }
  return wrap(out, shape);
}
