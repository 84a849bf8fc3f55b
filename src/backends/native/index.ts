// The native backend: tensors are host Float32Array/Int32Array memory; ops run in the C++ addon
// (native/), which writes into outputs allocated here. The op table (ops.ts) has checked every call
// before a kernel here runs; the addon checks lengths again before it touches memory. conv2d takes
// its weights as a WeightSum and forms Σ_j c_j W_j while it reads them (native/ops/conv2d.h).
import { numel, shapeStr } from '../../tensor.js';
import type { AttentionOptions, Backend, Conv2dOptions, ConvEpilogue, DeviceTensor, FeatureProducts, FeatureStats, Pool2dOptions, Weight } from '../backend.js';
import { checkedBackend, type BackendCore } from '../checked.js';
import type { OpName, OpPlan } from '../ops.js';
import { isWeightSum } from '../weight_sum.js';
import { loadNative, type NativeCompute, type NativeModule } from './bindings.js';

type Storage = Float32Array | Int32Array;

/** Ops in flight that read a storage buffer; shared by every tensor that views it (reshape). */
interface StorageReads {
  readers: number;
  /** Released while readers > 0: it goes back to the pool when the last read settles. */
  releasedWhileRead: boolean;
}

class NativeTensor implements DeviceTensor {
  constructor(readonly shape: readonly number[], readonly dtype: 'float32' | 'int32', readonly data: Storage) {}
}

function tensorOf(t: DeviceTensor, op: string, arg: string): NativeTensor {
  if (!(t instanceof NativeTensor)) throw new Error(`native ${op}: '${arg}' is not a tensor of the native backend`);
  return t;
}

/** The float32 data of `t` (the op table has checked its dtype and shape). */
const f32 = (t: DeviceTensor, op: string, arg: string): Float32Array => tensorOf(t, op, arg).data as Float32Array;

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

class NativeCore implements BackendCore {
  readonly name = 'native' as const;
  readonly weightSumOps: ReadonlySet<OpName> = new Set<OpName>(['conv2d']);
  private readonly buffers = new BufferPool(512 * 2 ** 20);
  private readonly reads = new WeakMap<Storage, StorageReads>();
  constructor(private readonly m: NativeModule) {}

  /** A new output tensor; its storage may come from the pool. */
  private out(shape: readonly number[]): NativeTensor {
    return new NativeTensor([...shape], 'float32', this.buffers.take(numel(shape)));
  }
  private outData(shape: readonly number[]): [NativeTensor, Float32Array] {
    const t = this.out(shape);
    return [t, t.data as Float32Array];
  }

  upload(data: Float32Array | Int32Array, shape: readonly number[]): DeviceTensor {
    if (data.length !== numel(shape)) {
      throw new Error(`native upload: data has ${data.length} elements, shape ${shapeStr(shape)} needs ${numel(shape)}`);
    }
    const dtype = data instanceof Int32Array ? 'int32' : 'float32';
    return new NativeTensor([...shape], dtype, data.slice());
  }
  async read(t: DeviceTensor): Promise<Float32Array | Int32Array> {
    return tensorOf(t, 'read', 't').data.slice();
  }
  reshape(t: DeviceTensor, shape: readonly number[]): DeviceTensor {
    const n = tensorOf(t, 'reshape', 't');
    if (numel(shape) !== n.data.length) {
      throw new Error(`native reshape: ${shapeStr(n.shape)} cannot become ${shapeStr(shape)} (element counts differ)`);
    }
    return new NativeTensor([...shape], n.dtype, n.data);
  }
  release(t: DeviceTensor): void {
    const data = tensorOf(t, 'release', 't').data;
    const r = this.reads.get(data);
    if (r !== undefined && r.readers > 0) {
      r.releasedWhileRead = true;  // an op still reads it: back to the pool when that op is done
      return;
    }
    if (data instanceof Float32Array) this.buffers.give(data);
  }
  async flush(): Promise<void> {}
  async dispose(): Promise<void> {
    this.buffers.clear();
    this.m.setCompute('f32');
  }

  /** Every op's inputs: their storage stays out of the pool until the op settles. */
  holdInputs(inputs: readonly DeviceTensor[]): () => void {
    const held = [...new Set(inputs.map((t) => tensorOf(t, 'op', 'input').data))];
    for (const s of held) {
      const r = this.reads.get(s) ?? { readers: 0, releasedWhileRead: false };
      r.readers++;
      this.reads.set(s, r);
    }
    return () => {
      for (const s of held) {
        const r = this.reads.get(s)!;
        if (--r.readers > 0 || !r.releasedWhileRead) continue;
        r.releasedWhileRead = false;
        if (s instanceof Float32Array) this.buffers.give(s);
      }
    };
  }

  async matmul(p: OpPlan<'matmul'>, a: DeviceTensor, b: DeviceTensor, transB: boolean): Promise<DeviceTensor> {
    const [y, yd] = this.outData(p.shape);
    await this.m.gemm(f32(a, 'matmul', 'a'), f32(b, 'matmul', 'b'), null, yd, p.m, p.n, p.k, transB);
    return y;
  }

  async linear(p: OpPlan<'linear'>, x: DeviceTensor, w: Weight, b: DeviceTensor | null, layout: 'outIn' | 'inOut'): Promise<DeviceTensor> {
    const [y, yd] = this.outData(p.shape);
    const bd = b === null ? null : f32(b, 'linear', 'bias');
    await this.m.gemm(f32(x, 'linear', 'x'), f32(w as DeviceTensor, 'linear', 'weight'), bd, yd, p.m, p.n, p.k, layout === 'outIn');
    return y;
  }

  async conv2d(p: OpPlan<'conv2d'>, x: DeviceTensor, w: Weight, b: DeviceTensor | null, o: Conv2dOptions, epilogue?: ConvEpilogue): Promise<DeviceTensor> {
    const sum = isWeightSum(w) ? w : null;  // the conv forms Σ_j c_j W_j as it reads the weights
    const wShape = sum ? sum.basis[0].shape : (w as DeviceTensor).shape;
    const bn = epilogue?.batchNorm;
    const bnData = bn ? (['mean', 'variance', 'weight', 'bias'] as const).map((k) => f32(bn[k], 'conv2d', `epilogue batchNorm ${k}`)) : null;
    const res = epilogue?.residual ? f32(epilogue.residual, 'conv2d', 'epilogue residual') : null;
    const [y, yd] = this.outData(p.shape);
    await this.m.conv2d(f32(x, 'conv2d', 'x'), sum ? null : f32(w as DeviceTensor, 'conv2d', 'weight'), b === null ? null : f32(b, 'conv2d', 'bias'),
      yd, [...x.shape], [...wShape], o.stride, o.padding, o.dilation, o.groups, bnData, bn?.eps ?? 0, res, epilogue?.relu ?? false,
      sum ? sum.basis.map((t, j) => f32(t, 'conv2d', `weight basis[${j}]`)) : null, sum ? sum.coeffs : null);
    return y;
  }

  async batchNorm(p: OpPlan<'batchNorm'>, x: DeviceTensor, mean: DeviceTensor, variance: DeviceTensor, weight: DeviceTensor, bias: DeviceTensor, eps: number): Promise<DeviceTensor> {
    const [y, yd] = this.outData(p.shape);
    await this.m.batchNorm(f32(x, 'batchNorm', 'x'), f32(mean, 'batchNorm', 'mean'), f32(variance, 'batchNorm', 'variance'),
      f32(weight, 'batchNorm', 'weight'), f32(bias, 'batchNorm', 'bias'), yd, p.n, p.c, p.inner, eps);
    return y;
  }

  async layerNorm(p: OpPlan<'layerNorm'>, x: DeviceTensor, weight: DeviceTensor, bias: DeviceTensor, eps: number): Promise<DeviceTensor> {
    const [y, yd] = this.outData(p.shape);
    await this.m.layerNorm(f32(x, 'layerNorm', 'x'), f32(weight, 'layerNorm', 'weight'), f32(bias, 'layerNorm', 'bias'), yd, p.d === 0 ? 0 : p.rows, p.d, eps);
    return y;
  }

  async relu(p: OpPlan<'relu'>, x: DeviceTensor): Promise<DeviceTensor> {
    const [y, yd] = this.outData(p.shape);
    await this.m.relu(f32(x, 'relu', 'x'), yd);
    return y;
  }

  async gelu(p: OpPlan<'gelu'>, x: DeviceTensor, approximate: 'erf' | 'tanh'): Promise<DeviceTensor> {
    const [y, yd] = this.outData(p.shape);
    await this.m.gelu(f32(x, 'gelu', 'x'), yd, approximate === 'tanh');
    return y;
  }

  async quickGelu(p: OpPlan<'quickGelu'>, x: DeviceTensor): Promise<DeviceTensor> {
    const [y, yd] = this.outData(p.shape);
    await this.m.quickGelu(f32(x, 'quickGelu', 'x'), yd);
    return y;
  }

  async l2Normalize(p: OpPlan<'l2Normalize'>, x: DeviceTensor): Promise<DeviceTensor> {
    const [y, yd] = this.outData(p.shape);
    if (p.d > 0) await this.m.l2Normalize(f32(x, 'l2Normalize', 'x'), yd, p.rows, p.d);
    return y;
  }

  async concatLast(p: OpPlan<'concatLast'>, xs: readonly DeviceTensor[]): Promise<DeviceTensor> {
    const [y, yd] = this.outData(p.shape);
    if (p.rows > 0 && p.shape[p.shape.length - 1] > 0) await this.m.concatLast(xs.map((x, i) => f32(x, 'concatLast', `xs[${i}]`)), yd, p.rows);
    return y;
  }

  async add(p: OpPlan<'add'>, a: DeviceTensor, b: DeviceTensor): Promise<DeviceTensor> {
    const [y, yd] = this.outData(p.shape);
    await this.m.add(f32(a, 'add', 'a'), f32(b, 'add', 'b'), yd);
    return y;
  }

  async maxPool2d(p: OpPlan<'maxPool2d'>, x: DeviceTensor, o: Pool2dOptions): Promise<DeviceTensor> {
    return this.pool('maxPool2d', p, x, o);
  }
  async avgPool2d(p: OpPlan<'avgPool2d'>, x: DeviceTensor, o: Pool2dOptions): Promise<DeviceTensor> {
    return this.pool('avgPool2d', p, x, o);
  }
  private async pool(op: 'maxPool2d' | 'avgPool2d', p: OpPlan<'maxPool2d'>, x: DeviceTensor, o: Pool2dOptions): Promise<DeviceTensor> {
    const [y, yd] = this.outData(p.shape);
    await this.m[op](f32(x, op, 'x'), yd, [...x.shape], o.kernel, o.stride, o.padding);
    return y;
  }

  async adaptiveAvgPool2d(p: OpPlan<'adaptiveAvgPool2d'>, x: DeviceTensor, outH: number, outW: number): Promise<DeviceTensor> {
    const [y, yd] = this.outData(p.shape);
    await this.m.adaptiveAvgPool2d(f32(x, 'adaptiveAvgPool2d', 'x'), yd, [...x.shape], outH, outW);
    return y;
  }

  async attention(p: OpPlan<'attention'>, qkv: DeviceTensor, heads: number, causal: boolean): Promise<DeviceTensor> {
    const [y, yd] = this.outData(p.shape);
    await this.m.attention(f32(qkv, 'attention', 'qkv'), yd, p.n, p.t, p.d, heads, causal);
    return y;
  }

  async embedding(p: OpPlan<'embedding'>, ids: DeviceTensor, table: DeviceTensor): Promise<DeviceTensor> {
    const [y, yd] = this.outData(p.shape);
    await this.m.embedding(tensorOf(ids, 'embedding', 'ids').data as Int32Array, f32(table, 'embedding', 'table'), yd, p.vocab, p.d);
    return y;
  }

  async transpose12(p: OpPlan<'transpose12'>, x: DeviceTensor): Promise<DeviceTensor> {
    const [y, yd] = this.outData(p.shape);
    const [a, b, c] = x.shape;
    await this.m.transpose12(f32(x, 'transpose12', 'x'), yd, a, b, c);
    return y;
  }

  async prependToken(p: OpPlan<'prependToken'>, x: DeviceTensor, token: DeviceTensor): Promise<DeviceTensor> {
    const [y, yd] = this.outData(p.shape);
    const [n, t, d] = x.shape;
    await this.m.prependToken(f32(x, 'prependToken', 'x'), f32(token, 'prependToken', 'token'), yd, n, t, d);
    return y;
  }

  async selectToken(p: OpPlan<'selectToken'>, x: DeviceTensor, index: number): Promise<DeviceTensor> {
    const [y, yd] = this.outData(p.shape);
    const [n, t, d] = x.shape;
    await this.m.selectToken(f32(x, 'selectToken', 'x'), yd, n, t, d, index);
    return y;
  }

  async combine(p: OpPlan<'combine'>, basis: readonly DeviceTensor[], coeffs: Float64Array): Promise<DeviceTensor[]> {
    const outs = Array.from({ length: p.k }, () => this.out(p.shape));
    await this.m.combine(basis.map((t, j) => f32(t, 'combine', `basis[${j}]`)), coeffs, outs.map((t) => t.data as Float32Array));
    return outs;
  }

  async featureStats(p: OpPlan<'featureStats'>, f: DeviceTensor, basis: readonly DeviceTensor[], c: Float64Array): Promise<FeatureStats> {
    const stats = { dot: new Float64Array(p.n), ff: new Float64Array(p.n), gg: new Float64Array(p.n) };
    await this.m.featureStats(f32(f, 'featureStats', 'f'), basis.map((t, j) => f32(t, 'featureStats', `basis[${j}]`)), c, p.n, stats.dot, stats.ff, stats.gg);
    return stats;
  }

  async featureProducts(p: OpPlan<'featureProducts'>, fs: readonly DeviceTensor[], basis: readonly DeviceTensor[]): Promise<FeatureProducts[]> {
    const out = fs.map(() => ({ dots: new Float64Array(p.n * p.m), ff: new Float64Array(p.n) }));
    await this.m.featureProducts(fs.map((t, i) => f32(t, 'featureProducts', `fs[${i}]`)), basis.map((t, j) => f32(t, 'featureProducts', `basis[${j}]`)),
      p.n, out.map((o) => o.dots), out.map((o) => o.ff));
    return out;
  }

  async rmsNorm(p: OpPlan<'rmsNorm'>, x: DeviceTensor, weight: DeviceTensor, eps: number, unitOffset: boolean): Promise<DeviceTensor> {
    const [y, yd] = this.outData(p.shape);
    if (p.rows > 0) await this.m.rmsNorm(f32(x, 'rmsNorm', 'x'), f32(weight, 'rmsNorm', 'weight'), yd, p.rows, p.d, eps, unitOffset);
    return y;
  }

  async rope(p: OpPlan<'rope'>, x: DeviceTensor, cos: DeviceTensor, sin: DeviceTensor): Promise<DeviceTensor> {
    const [y, yd] = this.outData(p.shape);
    await this.m.rope(f32(x, 'rope', 'x'), f32(cos, 'rope', 'cos'), f32(sin, 'rope', 'sin'), yd, p.n, p.t, p.heads, p.e, p.half);
    return y;
  }

  async silu(p: OpPlan<'silu'>, x: DeviceTensor): Promise<DeviceTensor> {
    const [y, yd] = this.outData(p.shape);
    await this.m.silu(f32(x, 'silu', 'x'), yd);
    return y;
  }

  async mul(p: OpPlan<'mul'>, a: DeviceTensor, b: DeviceTensor): Promise<DeviceTensor> {
    const [y, yd] = this.outData(p.shape);
    await this.m.mul(f32(a, 'mul', 'a'), f32(b, 'mul', 'b'), yd);
    return y;
  }

  async groupedAttention(p: OpPlan<'groupedAttention'>, q: DeviceTensor, k: DeviceTensor, v: DeviceTensor, o: AttentionOptions): Promise<DeviceTensor> {
    const [y, yd] = this.outData(p.shape);
    const op = 'groupedAttention';
    await this.m.groupedAttention(f32(q, op, 'q'), f32(k, op, 'k'), f32(v, op, 'v'), yd, [p.n, p.t, p.s, o.heads, o.kvHeads, p.e], o.causal, o.window ?? 0, o.scale, o.softcap ?? 0);
    return y;
  }

  async narrow(p: OpPlan<'narrow'>, x: DeviceTensor, start: number, length: number): Promise<DeviceTensor> {
    const [y, yd] = this.outData(p.shape);
    await this.m.narrow(f32(x, 'narrow', 'x'), yd, p.rows, p.d, start, length);
    return y;
  }

  async softcap(p: OpPlan<'softcap'>, x: DeviceTensor, cap: number): Promise<DeviceTensor> {
    const [y, yd] = this.outData(p.shape);
    await this.m.softcap(f32(x, 'softcap', 'x'), yd, cap);
    return y;
  }
}

/** The native backend; throws (saying why) when the addon cannot be loaded, or when `compute` is
 *  'bf16' and the CPU cannot run it. The compute mode is process-wide; dispose() sets it back to f32. */
export async function createNativeBackend(opts: { compute?: NativeCompute } = {}): Promise<Backend> {
  const m = loadNative();
  if (opts.compute) m.setCompute(opts.compute);
  return checkedBackend(new NativeCore(m));
}
