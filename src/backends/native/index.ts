// The native backend: tensors are host Float32Array/Int32Array memory; ops run in the C++ addon
// (native/), which writes into outputs allocated here. Shapes are checked here first so errors
// name the op and the argument; the addon checks lengths again before it touches memory.
import type { Backend, Conv2dOptions, ConvEpilogue, DeviceTensor, FeatureProducts, FeatureStats, OpName, Pool2dOptions } from '../backend.js';
import { numel, shapeStr } from '../../tensor.js';
import { loadNative, type NativeModule } from './bindings.js';
import { concatLastShape } from '../concat_last_shape.js';

/** Σ_j coeffs[j] · basis[j], not formed yet: conv2d reads the basis directly (native/ops/conv2d.h
 *  WeightSum), anything else forms it on first use. */
interface PendingSum {
  basis: Float32Array[];
  coeffs: Float64Array;
  form: (sum: PendingSum) => Float32Array;
}

/** What pending sums need of a storage buffer; shared by every tensor that views it (reshape). */
interface StorageUse {
  /** Pending sums over this storage: formed before it is released. */
  dependents: Set<NativeTensor>;
  /** Reads in flight of this storage as the basis of a pending sum (their callers cannot see them). */
  readers: number;
  /** Released while readers > 0: it goes back to the pool when the last read settles. */
  releasedWhileRead: boolean;
}
const storageUses = new WeakMap<Float32Array | Int32Array, StorageUse>();
function storageUse(data: Float32Array | Int32Array): StorageUse {
  let u = storageUses.get(data);
  if (u === undefined) {
    u = { dependents: new Set(), readers: 0, releasedWhileRead: false };
    storageUses.set(data, u);
  }
  return u;
}

class NativeTensor implements DeviceTensor {
  private storage: Float32Array | Int32Array | null;
  constructor(
    readonly shape: readonly number[],
    readonly dtype: 'float32' | 'int32',
    data: Float32Array | Int32Array | null,
    public pending: PendingSum | null = null,
  ) {
    this.storage = data;
  }

  get data(): Float32Array | Int32Array {
    if (this.storage === null) this.settle(this.pending!.form(this.pending!));
    return this.storage!;
  }
  /** Whether the values are stored (a pending sum has no storage until formed). */
  get formed(): boolean {
    return this.storage !== null;
  }
  /** Stores the formed sum (or, on release, nothing); an ordinary tensor from now on. */
  settle(data: Float32Array): void {
    this.storage = data;
    for (const b of this.pending?.basis ?? []) storageUses.get(b)?.dependents.delete(this);
    this.pending = null;
  }
}

/** Parameter sums of rank 4 (conv weights) at least this large stay pending until used. */
const PENDING_MIN_ELEMENTS = 1 << 14;

const SUPPORTED: ReadonlySet<OpName> = new Set<OpName>([
  'matmul', 'linear', 'conv2d', 'batchNorm', 'layerNorm', 'relu', 'gelu', 'quickGelu', 'concatLast', 'l2Normalize', 'add', 'maxPool2d', 'avgPool2d',
  'adaptiveAvgPool2d', 'attention', 'embedding', 'transpose12', 'prependToken', 'selectToken', 'combine',
  'featureStats', 'featureProducts',
]);

function tensorOf(t: DeviceTensor, op: string, arg: string): NativeTensor {
  if (!(t instanceof NativeTensor)) throw new Error(`native ${op}: '${arg}' is not a tensor of the native backend`);
  return t;
}

/** The float32 data of `t`, with its rank checked when `rank` is given. */
function f32(t: DeviceTensor, op: string, arg: string, rank?: number): Float32Array {
  const n = tensorOf(t, op, arg);
  if (!(n.data instanceof Float32Array)) throw new Error(`native ${op}: '${arg}' must be float32, got ${n.dtype}`);
  if (rank !== undefined && n.shape.length !== rank) {
    throw new Error(`native ${op}: '${arg}' must have rank ${rank}, got shape ${shapeStr(n.shape)}`);
  }
  return n.data;
}

function expectShape(op: string, arg: string, got: readonly number[], want: readonly number[]): void {
  if (got.length !== want.length || got.some((d, i) => d !== want[i])) {
    throw new Error(`native ${op}: '${arg}' has shape ${shapeStr(got)}, expected ${shapeStr(want)}`);
  }
}

/** Released float32 storage by length, reused for outputs (every native op writes all of its
 *  output, so stale contents never show). Holds at most `maxBytes`. */
class BufferPool {
  private readonly free = new Map<number, Float32Array[]>();
  private bytes = 0;
  constructor(private readonly maxBytes: number) {}

  take(length: number): Float32Array {
    const a = this.free.get(length)?.pop();
    if (a === undefined) return new Float32Array(length);
    this.bytes -= a.byteLength;
    return a;
  }
  give(a: Float32Array): void {
    if (a.length === 0 || this.bytes + a.byteLength > this.maxBytes) return;
    const list = this.free.get(a.length) ?? [];
    if (list.includes(a)) return; // released twice: keep one entry
    list.push(a);
    this.free.set(a.length, list);
    this.bytes += a.byteLength;
  }
  clear(): void {
    this.free.clear();
    this.bytes = 0;
  }
}

/** Output size of one spatial dim (torch floor mode); an error naming the op when it is < 1. */
function windowOut(op: string, size: number, k: number, s: number, p: number, d: number): number {
  const o = Math.floor((size + 2 * p - d * (k - 1) - 1) / s) + 1;
  if (!(o >= 1)) throw new Error(`native ${op}: window ${k} (dilation ${d}) does not fit input ${size} + 2·${p} padding`);
  return o;
}

class NativeBackend implements Backend {
  readonly name = 'native' as const;
  private readonly buffers = new BufferPool(512 * 2 ** 20);
  constructor(private readonly m: NativeModule) {}

  /** A new output tensor; its storage may come from the pool. */
  private out(shape: readonly number[]): NativeTensor {
    return new NativeTensor([...shape], 'float32', this.buffers.take(numel(shape)));
  }

  supports(op: OpName): boolean {
    return SUPPORTED.has(op);
  }

  upload(data: Float32Array | Int32Array, shape: readonly number[]): DeviceTensor {
    if (data.length !== numel(shape)) {
      throw new Error(`native upload: data has ${data.length} elements, shape ${shapeStr(shape)} needs ${numel(shape)}`);
    }
    const dtype = data instanceof Int32Array ? 'int32' : 'float32';
    return new NativeTensor([...shape], dtype, data.slice());
  }
  async read(t: DeviceTensor): Promise<Float32Array | Int32Array> {
    const n = tensorOf(t, 'read', 't');
    if (!n.formed) await this.formSum(n);
    return n.data.slice();
  }
  reshape(t: DeviceTensor, shape: readonly number[]): DeviceTensor {
    const n = tensorOf(t, 'reshape', 't');
    if (numel(shape) !== n.data.length) {
      throw new Error(`native reshape: ${shapeStr(n.shape)} cannot become ${shapeStr(shape)} (element counts differ)`);
    }
    return new NativeTensor([...shape], n.dtype, n.data);
  }
  release(t: DeviceTensor): void {
    const n = tensorOf(t, 'release', 't');
    if (!n.formed) {  // a pending sum holds no storage
      n.settle(new Float32Array(0));
      return;
    }
    const use = storageUses.get(n.data);
    if (use !== undefined) {
      for (const d of [...use.dependents]) void d.data;  // sums over this storage are formed while it is intact
      if (use.readers > 0) {
        use.releasedWhileRead = true;
        return;
      }
    }
    if (n.data instanceof Float32Array) this.buffers.give(n.data);
  }
  async flush(): Promise<void> {}
  async dispose(): Promise<void> {
    this.buffers.clear();
  }

  async matmul(a: DeviceTensor, b: DeviceTensor, transB: boolean): Promise<DeviceTensor> {
    const ad = f32(a, 'matmul', 'a'), bd = f32(b, 'matmul', 'b', 2);
    if (a.shape.length < 1) throw new Error(`native matmul: 'a' must have rank ≥ 1, got ${shapeStr(a.shape)}`);
    const k = a.shape[a.shape.length - 1];
    const [bk, n] = transB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
    if (bk !== k) throw new Error(`native matmul: 'b' ${shapeStr(b.shape)} does not match 'a' ${shapeStr(a.shape)} (K = ${k}${transB ? ', transB' : ''})`);
    const y = this.out([...a.shape.slice(0, -1), n]);
    await this.m.gemm(ad, bd, null, y.data as Float32Array, numel(a.shape.slice(0, -1)), n, k, transB);
    return y;
  }

  async linear(x: DeviceTensor, w: DeviceTensor, b: DeviceTensor | null, layout: 'outIn' | 'inOut'): Promise<DeviceTensor> {
    const xd = f32(x, 'linear', 'x'), wd = f32(w, 'linear', 'w', 2);
    const inDim = x.shape[x.shape.length - 1];
    const [wIn, outDim] = layout === 'outIn' ? [w.shape[1], w.shape[0]] : [w.shape[0], w.shape[1]];
    if (wIn !== inDim) throw new Error(`native linear: 'w' ${shapeStr(w.shape)} (${layout}) does not take inputs of size ${inDim}`);
    const bd = b === null ? null : f32(b, 'linear', 'b');
    if (b !== null) expectShape('linear', 'b', b.shape, [outDim]);
    const y = this.out([...x.shape.slice(0, -1), outDim]);
    await this.m.gemm(xd, wd, bd, y.data as Float32Array, numel(x.shape.slice(0, -1)), outDim, inDim, layout === 'outIn');
    return y;
  }

  async conv2d(x: DeviceTensor, w: DeviceTensor, b: DeviceTensor | null, o: Conv2dOptions, epilogue?: ConvEpilogue): Promise<DeviceTensor> {
    const xd = f32(x, 'conv2d', 'x', 4);
    const sum = tensorOf(w, 'conv2d', 'w').pending;  // a weight sum the conv forms as it reads it
    const wd = sum ? null : f32(w, 'conv2d', 'w');
    if (w.shape.length !== 4) throw new Error(`native conv2d: 'w' must have rank 4, got shape ${shapeStr(w.shape)}`);
    const bd = b === null ? null : f32(b, 'conv2d', 'b');
    if (b !== null) expectShape('conv2d', 'b', b.shape, [w.shape[0]]);
    const [n, c, h, wi] = x.shape;
    if (w.shape[1] * o.groups !== c) {
      throw new Error(`native conv2d: 'w' ${shapeStr(w.shape)} with groups ${o.groups} does not match ${c} input channels`);
    }
    const oh = windowOut('conv2d', h, w.shape[2], o.stride[0], o.padding[0], o.dilation[0]);
    const ow = windowOut('conv2d', wi, w.shape[3], o.stride[1], o.padding[1], o.dilation[1]);
    const outShape = [n, w.shape[0], oh, ow];
    const bn = epilogue?.batchNorm;
    const bnData = bn && (['mean', 'variance', 'weight', 'bias'] as const).map((k) => {
      expectShape('conv2d', `epilogue batchNorm ${k}`, bn[k].shape, [w.shape[0]]);
      return f32(bn[k], 'conv2d', `epilogue batchNorm ${k}`);
    });
    const res = epilogue?.residual;
    if (res) expectShape('conv2d', 'epilogue residual', res.shape, outShape);
    const y = this.out(outShape);
    await this.whileReading(sum?.basis ?? [], () => this.m.conv2d(xd, wd, bd, y.data as Float32Array, [...x.shape], [...w.shape],
      o.stride, o.padding, o.dilation, o.groups, bnData ?? null, bn?.eps ?? 0, res ? f32(res, 'conv2d', 'epilogue residual') : null,
      epilogue?.relu ?? false, sum ? sum.basis : null, sum ? sum.coeffs : null));
    return y;
  }

  async batchNorm(x: DeviceTensor, mean: DeviceTensor, variance: DeviceTensor, weight: DeviceTensor, bias: DeviceTensor, eps: number): Promise<DeviceTensor> {
    const xd = f32(x, 'batchNorm', 'x');
    if (x.shape.length < 2) throw new Error(`native batchNorm: 'x' must have rank ≥ 2, got ${shapeStr(x.shape)}`);
    const c = x.shape[1];
    const params = { mean, variance, weight, bias };
    for (const [name, t] of Object.entries(params)) expectShape('batchNorm', name, t.shape, [c]);
    const y = this.out(x.shape);
    await this.m.batchNorm(
      xd, f32(mean, 'batchNorm', 'mean'), f32(variance, 'batchNorm', 'variance'), f32(weight, 'batchNorm', 'weight'),
      f32(bias, 'batchNorm', 'bias'), y.data as Float32Array, x.shape[0], c, numel(x.shape.slice(2)), eps,
    );
    return y;
  }

  async layerNorm(x: DeviceTensor, weight: DeviceTensor, bias: DeviceTensor, eps: number): Promise<DeviceTensor> {
    const xd = f32(x, 'layerNorm', 'x');
    const cols = x.shape[x.shape.length - 1];
    expectShape('layerNorm', 'weight', weight.shape, [cols]);
    expectShape('layerNorm', 'bias', bias.shape, [cols]);
    const y = this.out(x.shape);
    await this.m.layerNorm(xd, f32(weight, 'layerNorm', 'weight'), f32(bias, 'layerNorm', 'bias'), y.data as Float32Array, cols === 0 ? 0 : xd.length / cols, cols, eps);
    return y;
  }

  async relu(x: DeviceTensor): Promise<DeviceTensor> {
    const y = this.out(x.shape);
    await this.m.relu(f32(x, 'relu', 'x'), y.data as Float32Array);
    return y;
  }

  async gelu(x: DeviceTensor, approximate: 'erf' | 'tanh'): Promise<DeviceTensor> {
    const y = this.out(x.shape);
    await this.m.gelu(f32(x, 'gelu', 'x'), y.data as Float32Array, approximate === 'tanh');
    return y;
  }

  async quickGelu(x: DeviceTensor): Promise<DeviceTensor> {
    const y = this.out(x.shape);
    await this.m.quickGelu(f32(x, 'quickGelu', 'x'), y.data as Float32Array);
    return y;
  }

  async l2Normalize(x: DeviceTensor): Promise<DeviceTensor> {
    if (x.shape.length < 1) throw new Error(`native l2Normalize: 'x' must have rank ≥ 1, got ${shapeStr(x.shape)}`);
    const cols = x.shape[x.shape.length - 1];
    const y = this.out(x.shape);
    if (cols > 0) await this.m.l2Normalize(f32(x, 'l2Normalize', 'x'), y.data as Float32Array, numel(x.shape) / cols, cols);
    return y;
  }

  async concatLast(xs: readonly DeviceTensor[]): Promise<DeviceTensor> {
    const shape = concatLastShape(xs.map((x) => x.shape));
    const data = xs.map((x, i) => f32(x, 'concatLast', `xs[${i}]`));
    const y = this.out(shape);
    const rows = shape[shape.length - 1] === 0 ? 0 : numel(shape) / shape[shape.length - 1];
    if (rows > 0) await this.m.concatLast(data, y.data as Float32Array, rows);
    return y;
  }

  async add(a: DeviceTensor, b: DeviceTensor): Promise<DeviceTensor> {
    const suffix = a.shape.slice(a.shape.length - b.shape.length);
    if (b.shape.length > a.shape.length || suffix.some((d, i) => d !== b.shape[i])) {
      throw new Error(`native add: 'b' ${shapeStr(b.shape)} is not a suffix of 'a' ${shapeStr(a.shape)}`);
    }
    const y = this.out(a.shape);
    await this.m.add(f32(a, 'add', 'a'), f32(b, 'add', 'b'), y.data as Float32Array);
    return y;
  }

  async maxPool2d(x: DeviceTensor, o: Pool2dOptions): Promise<DeviceTensor> {
    return this.pool('maxPool2d', x, o);
  }
  async avgPool2d(x: DeviceTensor, o: Pool2dOptions): Promise<DeviceTensor> {
    return this.pool('avgPool2d', x, o);
  }
  private async pool(op: 'maxPool2d' | 'avgPool2d', x: DeviceTensor, o: Pool2dOptions): Promise<DeviceTensor> {
    const xd = f32(x, op, 'x', 4);
    const oh = windowOut(op, x.shape[2], o.kernel[0], o.stride[0], o.padding[0], 1);
    const ow = windowOut(op, x.shape[3], o.kernel[1], o.stride[1], o.padding[1], 1);
    const y = this.out([x.shape[0], x.shape[1], oh, ow]);
    await this.m[op](xd, y.data as Float32Array, [...x.shape], o.kernel, o.stride, o.padding);
    return y;
  }

  async adaptiveAvgPool2d(x: DeviceTensor, outH: number, outW: number): Promise<DeviceTensor> {
    const xd = f32(x, 'adaptiveAvgPool2d', 'x', 4);
    const y = this.out([x.shape[0], x.shape[1], outH, outW]);
    await this.m.adaptiveAvgPool2d(xd, y.data as Float32Array, [...x.shape], outH, outW);
    return y;
  }

  async attention(qkv: DeviceTensor, heads: number, causal: boolean): Promise<DeviceTensor> {
    const qd = f32(qkv, 'attention', 'qkv', 3);
    const [n, t, d3] = qkv.shape;
    if (d3 % 3 !== 0) throw new Error(`native attention: 'qkv' last dim ${d3} is not 3·D`);
    const y = this.out([n, t, d3 / 3]);
    await this.m.attention(qd, y.data as Float32Array, n, t, d3 / 3, heads, causal);
    return y;
  }

  async embedding(ids: DeviceTensor, table: DeviceTensor): Promise<DeviceTensor> {
    const it = tensorOf(ids, 'embedding', 'ids');
    if (!(it.data instanceof Int32Array)) throw new Error(`native embedding: 'ids' must be int32, got ${it.dtype}`);
    const td = f32(table, 'embedding', 'table', 2);
    const y = this.out([...ids.shape, table.shape[1]]);
    await this.m.embedding(it.data, td, y.data as Float32Array, table.shape[0], table.shape[1]);
    return y;
  }

  async transpose12(x: DeviceTensor): Promise<DeviceTensor> {
    const xd = f32(x, 'transpose12', 'x', 3);
    const [a, b, c] = x.shape;
    const y = this.out([a, c, b]);
    await this.m.transpose12(xd, y.data as Float32Array, a, b, c);
    return y;
  }

  async prependToken(x: DeviceTensor, token: DeviceTensor): Promise<DeviceTensor> {
    const xd = f32(x, 'prependToken', 'x', 3);
    const [n, t, d] = x.shape;
    const td = f32(token, 'prependToken', 'token');
    if (td.length !== d) throw new Error(`native prependToken: 'token' ${shapeStr(token.shape)} must have ${d} elements`);
    const y = this.out([n, t + 1, d]);
    await this.m.prependToken(xd, td, y.data as Float32Array, n, t, d);
    return y;
  }

  async selectToken(x: DeviceTensor, index: number): Promise<DeviceTensor> {
    const xd = f32(x, 'selectToken', 'x', 3);
    const [n, t, d] = x.shape;
    const y = this.out([n, d]);
    await this.m.selectToken(xd, y.data as Float32Array, n, t, d, index);
    return y;
  }

  async combine(basis: readonly DeviceTensor[], coeffs: Float64Array, k: number, use?: 'parameters'): Promise<DeviceTensor[]> {
    if (basis.length === 0) throw new Error('native combine: \'basis\' is empty');
    const data = basis.map((t, j) => f32(t, 'combine', `basis[${j}]`));
    basis.forEach((t, j) => expectShape('combine', `basis[${j}]`, t.shape, basis[0].shape));
    if (coeffs.length !== k * basis.length) {
      throw new Error(`native combine: 'coeffs' has ${coeffs.length} entries, expected k·M = ${k}·${basis.length}`);
    }
    if (use === 'parameters' && basis[0].shape.length === 4 && numel(basis[0].shape) >= PENDING_MIN_ELEMENTS) {
      // conv weights: left as sums, which conv2d forms while it reads them (one pass over the basis
      // instead of combine writing W and the conv reading it back)
      return Array.from({ length: k }, (_, r) => {
        const t = new NativeTensor([...basis[0].shape], 'float32', null, {
          basis: data, coeffs: coeffs.slice(r * data.length, (r + 1) * data.length), form: (p) => this.formNow(p),
        });
        for (const b of data) storageUse(b).dependents.add(t);
        return t;
      });
    }
    const outs = Array.from({ length: k }, () => this.out(basis[0].shape));
    await this.m.combine(data, coeffs, outs.map((t) => t.data as Float32Array));
    return outs;
  }

  /** Forms a pending sum now, on this thread (a pending tensor used by an op other than conv2d). */
  private formNow(p: PendingSum): Float32Array {
    const out = this.buffers.take(p.basis[0].length);
    this.m.combineNow(p.basis, p.coeffs, [out]);
    return out;
  }

  /** Forms a pending sum on the thread pool. */
  private async formSum(n: NativeTensor): Promise<void> {
    const p = n.pending!;
    const out = this.buffers.take(p.basis[0].length);
    try {
      await this.whileReading(p.basis, () => this.m.combine(p.basis, p.coeffs, [out]));
    } catch (e) {
      this.buffers.give(out);
      throw e;
    }
    if (n.formed) this.buffers.give(out);  // formed meanwhile (used by another op, or released)
    else n.settle(out);
  }

  /** Runs `read` (a native call that reads `basis` in the background); storage released meanwhile goes
   *  back to the pool only after it settles. */
  private async whileReading<T>(basis: readonly Float32Array[], read: () => Promise<T>): Promise<T> {
    const uses = basis.map(storageUse);
    for (const u of uses) u.readers++;
    try {
      return await read();
    } finally {
      uses.forEach((u, j) => {
        if (--u.readers > 0 || !u.releasedWhileRead) return;
        u.releasedWhileRead = false;
        this.buffers.give(basis[j]);
      });
    }
  }

  async featureStats(f: DeviceTensor, basis: readonly DeviceTensor[], c: Float64Array): Promise<FeatureStats> {
    const fd = f32(f, 'featureStats', 'f');
    if (f.shape.length < 1) throw new Error(`native featureStats: 'f' must have rank ≥ 1, got ${shapeStr(f.shape)}`);
    basis.forEach((t, j) => expectShape('featureStats', `basis[${j}]`, t.shape, f.shape));
    if (c.length !== basis.length) throw new Error(`native featureStats: 'c' has ${c.length} entries, basis has ${basis.length}`);
    const n = f.shape[0];
    const stats = { dot: new Float64Array(n), ff: new Float64Array(n), gg: new Float64Array(n) };
    const data = basis.map((t, j) => f32(t, 'featureStats', `basis[${j}]`));
    await this.m.featureStats(fd, data, c, n, stats.dot, stats.ff, stats.gg);
    return stats;
  }

  async featureProducts(fs: readonly DeviceTensor[], basis: readonly DeviceTensor[]): Promise<FeatureProducts[]> {
    if (fs.length === 0) throw new Error("native featureProducts: 'fs' must hold at least one tensor");
    const shape = fs[0].shape;
    if (shape.length < 1) throw new Error(`native featureProducts: 'fs[0]' must have rank ≥ 1, got ${shapeStr(shape)}`);
    fs.forEach((t, i) => expectShape('featureProducts', `fs[${i}]`, t.shape, shape));
    basis.forEach((t, j) => expectShape('featureProducts', `basis[${j}]`, t.shape, shape));
    const n = shape[0];
    const out = fs.map(() => ({ dots: new Float64Array(n * basis.length), ff: new Float64Array(n) }));
    await this.m.featureProducts(fs.map((t, i) => f32(t, 'featureProducts', `fs[${i}]`)), basis.map((t, j) => f32(t, 'featureProducts', `basis[${j}]`)),
      n, out.map((o) => o.dots), out.map((o) => o.ff));
    return out;
  }
}

/** The native backend; throws (saying why) when the addon cannot be loaded. */
export async function createNativeBackend(): Promise<Backend> {
  return new NativeBackend(loadNative());
}
