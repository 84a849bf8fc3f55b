// The reference backend: plain TypeScript ops with float64 accumulation, the oracle every other
// backend is checked against (test/backend_ops.test.ts). Written independently of them.
import { numel, shapeStr } from '../../tensor.js';
import type {
  Backend, Conv2dOptions, ConvEpilogue, DeviceTensor, FeatureProducts, FeatureStats, OpName, Pool2dOptions,
} from '../backend.js';
import { applyConvEpilogue } from '../conv_epilogue.js';
import { gelu, quickGelu, relu } from './activation.js';
import { attention } from './attention.js';
import { combine } from './combine.js';
import { conv2d } from './conv.js';
import { linear, matmul } from './matmul.js';
import { batchNorm, l2Normalize, layerNorm } from './norm.js';
import { adaptiveAvgPool2d, avgPool2d, maxPool2d } from './pool.js';
import { add, concatLast, embedding, prependToken, selectToken, transpose12 } from './shape_ops.js';
import { featureProducts, featureStats } from './stats.js';
import { checkShape, ref, RefTensor, wrap } from './tensor_store.js';

export { RefTensor } from './tensor_store.js';

class ReferenceBackend implements Backend {
  readonly name = 'reference' as const;
  private disposed = false;

  supports(_op: OpName): boolean {
    return true;
  }

  private live(op: string): void {
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

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  async matmul(a: DeviceTensor, b: DeviceTensor, transB: boolean): Promise<DeviceTensor> {
    this.live('matmul');
    return matmul(a, b, transB);
  }

  async linear(x: DeviceTensor, w: DeviceTensor, b: DeviceTensor | null, layout: 'outIn' | 'inOut'): Promise<DeviceTensor> {
    this.live('linear');
    return linear(x, w, b, layout);
  }

  async conv2d(x: DeviceTensor, w: DeviceTensor, b: DeviceTensor | null, o: Conv2dOptions, epilogue?: ConvEpilogue): Promise<DeviceTensor> {
    this.live('conv2d');
    return applyConvEpilogue(this, conv2d(x, w, b, o), epilogue);
  }

  async batchNorm(
    x: DeviceTensor, mean: DeviceTensor, variance: DeviceTensor, weight: DeviceTensor, bias: DeviceTensor, eps: number,
  ): Promise<DeviceTensor> {
    this.live('batchNorm');
    return batchNorm(x, mean, variance, weight, bias, eps);
  }

  async layerNorm(x: DeviceTensor, weight: DeviceTensor, bias: DeviceTensor, eps: number): Promise<DeviceTensor> {
    this.live('layerNorm');
    return layerNorm(x, weight, bias, eps);
  }

  async relu(x: DeviceTensor): Promise<DeviceTensor> {
    this.live('relu');
    return relu(x);
  }

  async gelu(x: DeviceTensor, approximate: 'erf' | 'tanh'): Promise<DeviceTensor> {
    this.live('gelu');
    return gelu(x, approximate);
  }

  async quickGelu(x: DeviceTensor): Promise<DeviceTensor> {
    this.live('quickGelu');
    return quickGelu(x);
  }

  async concatLast(xs: readonly DeviceTensor[]): Promise<DeviceTensor> {
    this.live('concatLast');
    return concatLast(xs);
  }

  async l2Normalize(x: DeviceTensor): Promise<DeviceTensor> {
    this.live('l2Normalize');
    return l2Normalize(x);
  }

  async add(a: DeviceTensor, b: DeviceTensor): Promise<DeviceTensor> {
    this.live('add');
    return add(a, b);
  }

  async maxPool2d(x: DeviceTensor, o: Pool2dOptions): Promise<DeviceTensor> {
    this.live('maxPool2d');
    return maxPool2d(x, o);
  }

  async avgPool2d(x: DeviceTensor, o: Pool2dOptions): Promise<DeviceTensor> {
    this.live('avgPool2d');
    return avgPool2d(x, o);
  }

  async adaptiveAvgPool2d(x: DeviceTensor, outH: number, outW: number): Promise<DeviceTensor> {
    this.live('adaptiveAvgPool2d');
    return adaptiveAvgPool2d(x, outH, outW);
  }

  async attention(qkv: DeviceTensor, heads: number, causal: boolean): Promise<DeviceTensor> {
    this.live('attention');
    return attention(qkv, heads, causal);
  }

  async embedding(ids: DeviceTensor, table: DeviceTensor): Promise<DeviceTensor> {
    this.live('embedding');
    return embedding(ids, table);
  }

  async transpose12(x: DeviceTensor): Promise<DeviceTensor> {
    this.live('transpose12');
    return transpose12(x);
  }

  async prependToken(x: DeviceTensor, token: DeviceTensor): Promise<DeviceTensor> {
    this.live('prependToken');
    return prependToken(x, token);
  }

  async selectToken(x: DeviceTensor, index: number): Promise<DeviceTensor> {
    this.live('selectToken');
    return selectToken(x, index);
  }

  async combine(basis: readonly DeviceTensor[], coeffs: Float64Array, k: number): Promise<DeviceTensor[]> {
    this.live('combine');
    return combine(basis, coeffs, k);
  }

  async featureStats(f: DeviceTensor, basis: readonly DeviceTensor[], c: Float64Array): Promise<FeatureStats> {
    this.live('featureStats');
    return featureStats(f, basis, c);
  }

  async featureProducts(fs: readonly DeviceTensor[], basis: readonly DeviceTensor[]): Promise<FeatureProducts[]> {
    this.live('featureProducts');
    return featureProducts(fs, basis);
  }
}

/** The pure-TypeScript oracle backend. */
export async function createReferenceBackend(): Promise<Backend> {
  return new ReferenceBackend();
}
