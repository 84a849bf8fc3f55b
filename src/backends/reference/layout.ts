// Data movement and lookups: embedding, transpose12, prependToken, selectToken, concatLast.
import type { DeviceTensor } from '../backend.js';
import type { OpPlan } from '../ops.js';
import { f32, ref, wrap, type RefTensor } from './tensor_store.js';

// y[a, c, b] = x[a, b, c]
export function transpose12(p: OpPlan<'transpose12'>, xT: DeviceTensor): RefTensor {
  const x = f32('transpose12', 'x', xT);
  const [na, nb, nc] = x.shape;
  const out = new Float32Array(x.data.length);
  for (let a = 0; a < na; a++) {
    for (let b = 0; b < nb; b++) {
      for (let c = 0; c < nc; c++) out[(a * nc + c) * nb + b] = x.data[(a * nb + b) * nc + c];
    }
  }
  return wrap(out, p.shape);
}

// y[n, 0] = token, y[n, t+1] = x[n, t]   (token [D], or [1, 1, D] as torch stores a class token)
export function prependToken(p: OpPlan<'prependToken'>, xT: DeviceTensor, tokenT: DeviceTensor): RefTensor {
  const x = f32('prependToken', 'x', xT);
  const tok = f32('prependToken', 'token', tokenT);
  const [n, t, d] = x.shape;
  const out = new Float32Array(n * (t + 1) * d);
  for (let b = 0; b < n; b++) {
    out.set(tok.data, b * (t + 1) * d);
    out.set(x.data.subarray(b * t * d, (b + 1) * t * d), (b * (t + 1) + 1) * d);
  }
  return wrap(out, p.shape);
}

// y[n, :] = x[n, index, :]
export function selectToken(p: OpPlan<'selectToken'>, xT: DeviceTensor, index: number): RefTensor {
  const x = f32('selectToken', 'x', xT);
  const [n, t, d] = x.shape;
  const out = new Float32Array(n * d);
  for (let b = 0; b < n; b++) out.set(x.data.subarray((b * t + index) * d, (b * t + index + 1) * d), b * d);
  return wrap(out, p.shape);
}

// y[..., :] = table[ids[...], :]
export function embedding(p: OpPlan<'embedding'>, idsT: DeviceTensor, tableT: DeviceTensor): RefTensor {
  const ids = ref('embedding', 'ids', idsT);
  const table = f32('embedding', 'table', tableT);
  const { vocab: v, d } = p;
  const out = new Float32Array(ids.data.length * d);
  for (let i = 0; i < ids.data.length; i++) {
    const id = ids.data[i];
    if (id < 0 || id >= v) {
      throw new Error(`embedding: id ${id} at flat index ${i} is out of range for a vocabulary of ${v} tokens`);
    }
    out.set(table.data.subarray(id * d, (id + 1) * d), i * d);
  }
  return wrap(out, p.shape);
}

// y[r, off_i + c] = xs[i][r, c]  (concatenation along the last dim; r runs over the leading dims)
export function concatLast(p: OpPlan<'concatLast'>, xsT: readonly DeviceTensor[]): RefTensor {
  const xs = xsT.map((t, i) => f32('concatLast', `xs[${i}]`, t));
  const width = p.shape[p.shape.length - 1];
  const out = new Float32Array(p.rows * width);
  let off = 0;
  xs.forEach((x, i) => {
    const w = p.widths[i];
    for (let r = 0; r < p.rows; r++) for (let c = 0; c < w; c++) out[r * width + off + c] = x.data[r * w + c];
    off += w;
  });
  return wrap(out, p.shape);
}
