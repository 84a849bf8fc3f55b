// The reference backend: plain TypeScript ops with float64 accumulation, the oracle every other
// backend is checked against (test/backend_ops.test.ts). Written independently of them; the op
// table (ops.ts) checks every call before these kernels run.
import { numel, shapeStr } from '../../tensor.js';
import type { AttentionOptions, Backend, Conv2dOptions, ConvEpilogue, DeviceTensor, Weight } from '../backend.js';
import { checkedBackend, type BackendCore } from '../checked.js';
import { applyConvEpilogue } from '../conv_epilogue.js';
import type { OpPlan } from '../ops.js';
import { attention } from './attention.js';
import { combine } from './combine.js';
import { groupedAttention, mul, narrow, rmsNorm, rope, silu, softcap } from './decoder.js';
import { conv2d } from './conv2d.js';
import { add, gelu, quickGelu, relu } from './elementwise.js';
import { featureProducts, featureStats } from './feature_stats.js';
import { linear, matmul } from './gemm.js';
import { concatLast, embedding, prependToken, selectToken, transpose12 } from './layout.js';
import { batchNorm, l2Normalize, layerNorm } from './norm.js';
import { adaptiveAvgPool2d, avgPool2d, maxPool2d } from './pool.js';
import { checkShape, ref, RefTensor, wrap } from './tensor_store.js';

export { RefTensor } from './tensor_store.js';

type Fn = (...args: never[]) => unknown;
/** A kernel that first refuses calls after dispose(). */
const live = <F extends Fn>(core: ReferenceCore, op: string, fn: F) =>
  async (...args: Parameters<F>): Promise<Awaited<ReturnType<F>>> => {
    core.live(op);
    return (await fn(...args)) as Awaited<ReturnType<F>>;
  };

class ReferenceCore implements BackendCore {
  readonly name = 'reference' as const;
  private disposed = false;

  live(op: string): void {
    if (this.disposed) throw new Error(`reference backend: ${op} called after dispose()`);
  }

  upload(data: Float32Array | Int32Array, shape: readonly number[]): DeviceTensor {
    this.live('upload');
    if (!(data instanceof Float32Array) && !(data instanceof Int32Array)) {
      throw new Error('upload: data must be a Float32Array or an Int32Array');
    }
    checkShape('upload', 'the', shape);
    if (data.length !== numel(shape)) {
      throw new Error(`upload: data has ${data.length} elements, shape ${shapeStr(shape)} needs ${numel(shape)}`);
    }
    return wrap(data.slice(), shape);
  }

  async read(t: DeviceTensor): Promise<Float32Array | Int32Array> {
    this.live('read');
    return ref('read', 'tensor', t).data.slice();
  }

  reshape(t: DeviceTensor, shape: readonly number[]): DeviceTensor {
    this.live('reshape');
    const r = ref('reshape', 'tensor', t);
    checkShape('reshape', 'the new', shape);
    if (numel(shape) !== r.data.length) {
      throw new Error(`reshape: cannot view ${shapeStr(r.shape)} (${r.data.length} elements) as ${shapeStr(shape)} (${numel(shape)})`);
    }
    return new RefTensor(r.storage, shape);
  }

  release(t: DeviceTensor): void {
    ref('release', 'tensor', t).storage.released = true;
  }

  async flush(): Promise<void> {
    this.live('flush');
  }

  async dispose(): Promise<void> {
    this.disposed = true;
  }

  matmul = live(this, 'matmul', matmul);
  // weight sums arrive formed (checked.ts forms them for backends without weightSumOps)
  linear = live(this, 'linear', (p: OpPlan<'linear'>, x: DeviceTensor, w: Weight, b: DeviceTensor | null, layout: 'outIn' | 'inOut') =>
    linear(p, x, w as DeviceTensor, b, layout));
  conv2d = live(this, 'conv2d', (p: OpPlan<'conv2d'>, x: DeviceTensor, w: Weight, b: DeviceTensor | null, o: Conv2dOptions, ep?: ConvEpilogue) =>
    applyConvEpilogue(this.backend, conv2d(p, x, w as DeviceTensor, b, o), ep));
  batchNorm = live(this, 'batchNorm', batchNorm);
  layerNorm = live(this, 'layerNorm', layerNorm);
  relu = live(this, 'relu', relu);
  gelu = live(this, 'gelu', gelu);
  quickGelu = live(this, 'quickGelu', quickGelu);
  l2Normalize = live(this, 'l2Normalize', l2Normalize);
  concatLast = live(this, 'concatLast', concatLast);
  add = live(this, 'add', add);
  maxPool2d = live(this, 'maxPool2d', maxPool2d);
  avgPool2d = live(this, 'avgPool2d', avgPool2d);
  adaptiveAvgPool2d = live(this, 'adaptiveAvgPool2d', adaptiveAvgPool2d);
  attention = live(this, 'attention', attention);
  embedding = live(this, 'embedding', embedding);
  transpose12 = live(this, 'transpose12', transpose12);
  prependToken = live(this, 'prependToken', prependToken);
  selectToken = live(this, 'selectToken', selectToken);
  combine = live(this, 'combine', combine);
  featureStats = live(this, 'featureStats', featureStats);
  featureProducts = live(this, 'featureProducts', featureProducts);
  rmsNorm = live(this, 'rmsNorm', rmsNorm);
  rope = live(this, 'rope', rope);
  silu = live(this, 'silu', silu);
  mul = live(this, 'mul', mul);
  groupedAttention = live(this, 'groupedAttention', groupedAttention);
  narrow = live(this, 'narrow', narrow);
  softcap = live(this, 'softcap', softcap);

  /** The checked Backend over this core (the epilogue composes its ops through it). */
  backend!: Backend;
}

/** The pure-TypeScript oracle backend. */
export async function createReferenceBackend(): Promise<Backend> {
  const core = new ReferenceCore();
  core.backend = checkedBackend(core);
  return core.backend;
}
