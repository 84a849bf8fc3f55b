// Argument and shape rules of the decoder-LLM ops (rmsNorm, rope, silu, mul, groupedAttention,
// narrow, softcap): one function per op, shared by every backend, so each rule and message lives once.
// Each returns what the kernels need (output shape, derived sizes) or throws naming op and argument.
import { numel, shapeStr } from '../tensor.js';

interface Shaped {
  readonly shape: readonly number[];
}

const fail = (op: string, msg: string): never => {
  throw new Error(`${op}: ${msg}`);
};
const posInt = (op: string, arg: string, v: number): void => {
  if (!Number.isInteger(v) || v < 1) fail(op, `${arg} must be an integer ≥ 1, got ${v}`);
};

/** rmsNorm(x[..., D], weight[D], eps): rows and D. */
export function rmsNormShape(x: Shaped, weight: Shaped, eps: number): { rows: number; d: number } {
  if (x.shape.length < 1) fail('rmsNorm', `x must have rank ≥ 1 ([..., D]), got shape ${shapeStr(x.shape)}`);
  const d = x.shape[x.shape.length - 1];
  if (weight.shape.length !== 1 || weight.shape[0] !== d) {
    fail('rmsNorm', `weight must have shape [${d}] (the last dim of x ${shapeStr(x.shape)}), got ${shapeStr(weight.shape)}`);
  }
  if (!Number.isFinite(eps) || eps < 0) fail('rmsNorm', `eps must be a finite number ≥ 0, got ${eps}`);
  return { rows: d === 0 ? 0 : numel(x.shape) / d, d };
}

/** rope(x[N, T, H, E], cos[T, R/2], sin[T, R/2]), R ≤ E even: rows = N·T, heads, E, half = R/2. */
export function ropeShape(x: Shaped, cos: Shaped, sin: Shaped): { n: number; t: number; heads: number; e: number; half: number } {
  if (x.shape.length !== 4) fail('rope', `x must have rank 4 ([N, T, heads, head_dim]), got shape ${shapeStr(x.shape)}`);
  const [n, t, heads, e] = x.shape;
  if (cos.shape.length !== 2 || cos.shape[0] !== t) fail('rope', `cos must be [T = ${t}, rotary_dim / 2], got ${shapeStr(cos.shape)}`);
  if (sin.shape.length !== 2 || sin.shape[0] !== cos.shape[0] || sin.shape[1] !== cos.shape[1]) {
    fail('rope', `sin ${shapeStr(sin.shape)} must have cos's shape ${shapeStr(cos.shape)}`);
  }
  const half = cos.shape[1];
  if (2 * half > e) fail('rope', `rotary dim 2·${half} exceeds head_dim ${e} (x ${shapeStr(x.shape)})`);
  return { n, t, heads, e, half };
}

/** mul(a, b): b's shape is a suffix of a's. */
export function mulShape(a: Shaped, b: Shaped): readonly number[] {
  const k = b.shape.length;
  const suffix = a.shape.slice(a.shape.length - k);
  if (k > a.shape.length || suffix.some((d, i) => d !== b.shape[i])) fail('mul', `b ${shapeStr(b.shape)} must be a suffix of a ${shapeStr(a.shape)}`);
  return a.shape;
}

/** Grouped-query attention options: query head h reads kv head ⌊h / (heads / kvHeads)⌋. */
export interface AttentionOptions {
  heads: number;
  kvHeads: number;
  /** mask keys j > i */
  causal: boolean;
  /** keep only keys j > i − window (HF sliding window), or null/undefined for none */
  window?: number | null;
  /** multiplies q·k (HF: head_dim^−0.5, or query_pre_attn_scalar^−0.5) */
  scale: number;
  /** scores s ← softcap · tanh(s / softcap) before the mask and softmax (Gemma 2), or null */
  softcap?: number | null;
}

/** groupedAttention(q[N,T,H·E], k[N,S,Hkv·E], v[N,S,Hkv·E]): sizes and the output shape [N, T, H·E]. */
export function groupedAttentionShape(q: Shaped, k: Shaped, v: Shaped, o: AttentionOptions): { n: number; t: number; s: number; e: number; group: number; out: number[] } {
  const op = 'groupedAttention';
  for (const [name, x] of [['q', q], ['k', k], ['v', v]] as const) {
    if (x.shape.length !== 3) fail(op, `${name} must have rank 3 ([N, T, heads·head_dim]), got shape ${shapeStr(x.shape)}`);
  }
  posInt(op, 'heads', o.heads);
  posInt(op, 'kvHeads', o.kvHeads);
  if (o.heads % o.kvHeads !== 0) fail(op, `kvHeads ${o.kvHeads} must divide heads ${o.heads}`);
  const [n, t, qd] = q.shape;
  if (qd % o.heads !== 0) fail(op, `heads ${o.heads} must divide q's last dim ${qd}`);
  const e = qd / o.heads;
  const s = k.shape[1];
  for (const [name, x] of [['k', k], ['v', v]] as const) {
    if (x.shape[0] !== n || x.shape[1] !== s || x.shape[2] !== o.kvHeads * e) {
      fail(op, `${name} ${shapeStr(x.shape)} must be [${n}, ${s}, kvHeads·head_dim = ${o.kvHeads * e}]`);
    }
  }
  if (o.causal && s !== t) fail(op, `causal attention needs as many keys as queries (${s} vs ${t})`);
  if (o.window !== undefined && o.window !== null) posInt(op, 'window', o.window);
  if (!Number.isFinite(o.scale)) fail(op, `scale must be finite, got ${o.scale}`);
  if (o.softcap !== undefined && o.softcap !== null && !(o.softcap > 0 && Number.isFinite(o.softcap))) fail(op, `softcap must be a positive number, got ${o.softcap}`);
  return { n, t, s, e, group: o.heads / o.kvHeads, out: [n, t, qd] };
}

/** softcap(x, cap): cap must be a positive finite number. */
export function softcapCheck(cap: number): void {
  if (!(cap > 0 && Number.isFinite(cap))) fail('softcap', `cap must be a positive number, got ${cap}`);
}

/** narrow(x[..., D], start, length) → [..., length] = x[..., start : start + length]. */
export function narrowShape(x: Shaped, start: number, length: number): { rows: number; d: number; out: number[] } {
  if (x.shape.length < 1) fail('narrow', `x must have rank ≥ 1, got shape ${shapeStr(x.shape)}`);
  const d = x.shape[x.shape.length - 1];
  if (!Number.isInteger(start) || !Number.isInteger(length) || start < 0 || length < 1 || start + length > d) {
    fail('narrow', `[${start}, ${start} + ${length}) is not inside the last dim ${d} of x ${shapeStr(x.shape)}`);
  }
  return { rows: d === 0 ? 0 : numel(x.shape) / d, d, out: [...x.shape.slice(0, -1), length] };
}
