// The WebGPU backend: hand-written WGSL kernels (shaders/) on Dawn. Features stay on the device;
// featureStats / featureProducts read back only per-workgroup partial sums. The op table (ops.ts)
// checks every call before a kernel here runs.
import { numel, shapeStr } from '../../tensor.js';
import type { AttentionOptions, Backend, Conv2dOptions, ConvEpilogue, DeviceTensor, FeatureProducts, FeatureStats, Pool2dOptions, Weight } from '../backend.js';
import { checkedBackend, type BackendCore } from '../checked.js';
import { applyConvEpilogue } from '../conv_epilogue.js';
import type { OpPlan } from '../ops.js';
import { GpuContext, GpuTensor } from './context.js';
import { openDevice, openHardwareDevice, type GpuDevice } from './device.js';
import { attention } from './ops_attention.js';
import { combine } from './ops_combine.js';
import * as dec from './ops_decoder.js';
import { conv2d } from './ops_conv2d.js';
import { add, gelu, quickGelu, relu } from './ops_elementwise.js';
import { featureProducts, featureStats } from './ops_feature_stats.js';
import { linear, matmul } from './ops_gemm.js';
import { concatLast, embedding, prependToken, selectToken, transpose12 } from './ops_layout.js';
import { batchNorm, l2Normalize, layerNorm } from './ops_norm.js';
import { adaptiveAvgPool2d, avgPool2d, maxPool2d } from './ops_pool.js';
import { ShaderLoader } from './shader_loader.js';

export { hasHardwareAdapter } from './device.js';

function gpuTensor(t: DeviceTensor, what: string): GpuTensor {
  if (!(t instanceof GpuTensor)) throw new Error(`webgpu: ${what} is not a tensor of the webgpu backend`);
  return t;
}
const g = (t: DeviceTensor, op: string, arg: string): GpuTensor => gpuTensor(t, `${op}: ${arg}`);
const gl = (ts: readonly DeviceTensor[], op: string, arg: string): GpuTensor[] => ts.map((t, j) => g(t, op, `${arg}[${j}]`));

export class WebGPUCore implements BackendCore {
  readonly name = 'webgpu' as const;
  /** The checked Backend over this core (the conv epilogue composes its ops through it). */
  backend!: Backend;

  /** `dev.gpu` (Dawn's create() object) stays referenced here for as long as the device lives. */
  constructor(readonly dev: GpuDevice, readonly ctx: GpuContext) {}

  upload(data: Float32Array | Int32Array, shape: readonly number[]): DeviceTensor {
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new Error(`webgpu: upload: shape ${JSON.stringify(shape)} must be a list of non-negative integers`);
    }
    if (!(data instanceof Float32Array || data instanceof Int32Array)) throw new Error('webgpu: upload: data must be a Float32Array or Int32Array');
    if (data.length !== numel(shape)) throw new Error(`webgpu: upload: data has ${data.length} elements, shape ${shapeStr(shape)} needs ${numel(shape)}`);
    const isInt = data instanceof Int32Array;
    const t = this.ctx.alloc('upload', shape, isInt ? 'int32' : 'float32', isInt ? data.slice() : null, true);
    this.ctx.write(t, data);
    return t;
  }

  async read(t: DeviceTensor): Promise<Float32Array | Int32Array> {
    return this.ctx.read(gpuTensor(t, 'read: t'));
  }

  reshape(t: DeviceTensor, shape: readonly number[]): DeviceTensor {
    const x = gpuTensor(t, 'reshape: t');
    if (numel(shape) !== x.numel) throw new Error(`webgpu: reshape: ${shapeStr(x.shape)} cannot become ${shapeStr(shape)}`);
    return new GpuTensor([...shape], x.dtype, x.storage);
  }

  release(t: DeviceTensor): void {
    this.ctx.release(gpuTensor(t, 'release: t'));
  }

  flush(): Promise<void> {
    return this.ctx.flush();
  }

  async dispose(): Promise<void> {
    await this.ctx.dispose();
  }

  async matmul(p: OpPlan<'matmul'>, a: DeviceTensor, b: DeviceTensor, transB: boolean): Promise<DeviceTensor> {
    return matmul(this.ctx, p, g(a, 'matmul', 'a'), g(b, 'matmul', 'b'), transB);
  }
  // weight sums arrive formed (checked.ts forms them for backends without weightSumOps)
  async linear(p: OpPlan<'linear'>, x: DeviceTensor, w: Weight, b: DeviceTensor | null, layout: 'outIn' | 'inOut'): Promise<DeviceTensor> {
    return linear(this.ctx, p, g(x, 'linear', 'x'), g(w as DeviceTensor, 'linear', 'weight'), b && g(b, 'linear', 'bias'), layout);
  }
  async conv2d(p: OpPlan<'conv2d'>, x: DeviceTensor, w: Weight, b: DeviceTensor | null, o: Conv2dOptions, epilogue?: ConvEpilogue): Promise<DeviceTensor> {
    const y = await conv2d(this.ctx, p, g(x, 'conv2d', 'x'), g(w as DeviceTensor, 'conv2d', 'weight'), b && g(b, 'conv2d', 'bias'), o);
    return applyConvEpilogue(this.backend, y, epilogue);
  }
  async batchNorm(p: OpPlan<'batchNorm'>, x: DeviceTensor, mean: DeviceTensor, variance: DeviceTensor, weight: DeviceTensor, bias: DeviceTensor, eps: number): Promise<DeviceTensor> {
    const a = (t: DeviceTensor, n: string) => g(t, 'batchNorm', n);
    return batchNorm(this.ctx, p, a(x, 'x'), a(mean, 'mean'), a(variance, 'variance'), a(weight, 'weight'), a(bias, 'bias'), eps);
  }
  async layerNorm(p: OpPlan<'layerNorm'>, x: DeviceTensor, weight: DeviceTensor, bias: DeviceTensor, eps: number): Promise<DeviceTensor> {
    return layerNorm(this.ctx, p, g(x, 'layerNorm', 'x'), g(weight, 'layerNorm', 'weight'), g(bias, 'layerNorm', 'bias'), eps);
  }
  async relu(p: OpPlan<'relu'>, x: DeviceTensor): Promise<DeviceTensor> {
    return relu(this.ctx, p, g(x, 'relu', 'x'));
  }
  async gelu(p: OpPlan<'gelu'>, x: DeviceTensor, approximate: 'erf' | 'tanh'): Promise<DeviceTensor> {
    return gelu(this.ctx, p, g(x, 'gelu', 'x'), approximate);
  }
  async quickGelu(p: OpPlan<'quickGelu'>, x: DeviceTensor): Promise<DeviceTensor> {
    return quickGelu(this.ctx, p, g(x, 'quickGelu', 'x'));
  }
  async l2Normalize(p: OpPlan<'l2Normalize'>, x: DeviceTensor): Promise<DeviceTensor> {
    return l2Normalize(this.ctx, p, g(x, 'l2Normalize', 'x'));
  }
  async concatLast(p: OpPlan<'concatLast'>, xs: readonly DeviceTensor[]): Promise<DeviceTensor> {
    return concatLast(this.ctx, p, gl(xs, 'concatLast', 'xs'));
  }
  async add(p: OpPlan<'add'>, a: DeviceTensor, b: DeviceTensor): Promise<DeviceTensor> {
    return add(this.ctx, p, g(a, 'add', 'a'), g(b, 'add', 'b'));
  }
  async maxPool2d(p: OpPlan<'maxPool2d'>, x: DeviceTensor, o: Pool2dOptions): Promise<DeviceTensor> {
    return maxPool2d(this.ctx, p, g(x, 'maxPool2d', 'x'), o);
  }
  async avgPool2d(p: OpPlan<'avgPool2d'>, x: DeviceTensor, o: Pool2dOptions): Promise<DeviceTensor> {
    return avgPool2d(this.ctx, p, g(x, 'avgPool2d', 'x'), o);
  }
  async adaptiveAvgPool2d(p: OpPlan<'adaptiveAvgPool2d'>, x: DeviceTensor, outH: number, outW: number): Promise<DeviceTensor> {
    return adaptiveAvgPool2d(this.ctx, p, g(x, 'adaptiveAvgPool2d', 'x'), outH, outW);
  }
  async attention(p: OpPlan<'attention'>, qkv: DeviceTensor, heads: number, causal: boolean): Promise<DeviceTensor> {
    return attention(this.ctx, p, g(qkv, 'attention', 'qkv'), heads, causal);
  }
  async embedding(p: OpPlan<'embedding'>, ids: DeviceTensor, table: DeviceTensor): Promise<DeviceTensor> {
    return embedding(this.ctx, p, g(ids, 'embedding', 'ids'), g(table, 'embedding', 'table'));
  }
  async transpose12(p: OpPlan<'transpose12'>, x: DeviceTensor): Promise<DeviceTensor> {
    return transpose12(this.ctx, p, g(x, 'transpose12', 'x'));
  }
  async prependToken(p: OpPlan<'prependToken'>, x: DeviceTensor, token: DeviceTensor): Promise<DeviceTensor> {
    return prependToken(this.ctx, p, g(x, 'prependToken', 'x'), g(token, 'prependToken', 'token'));
  }
  async selectToken(p: OpPlan<'selectToken'>, x: DeviceTensor, index: number): Promise<DeviceTensor> {
    return selectToken(this.ctx, p, g(x, 'selectToken', 'x'), index);
  }
  async combine(p: OpPlan<'combine'>, basis: readonly DeviceTensor[], coeffs: Float64Array): Promise<DeviceTensor[]> {
    return combine(this.ctx, p, gl(basis, 'combine', 'basis'), coeffs);
  }
  async featureStats(p: OpPlan<'featureStats'>, f: DeviceTensor, basis: readonly DeviceTensor[], c: Float64Array): Promise<FeatureStats> {
    return featureStats(this.ctx, p, g(f, 'featureStats', 'f'), gl(basis, 'featureStats', 'basis'), c);
  }
  async featureProducts(p: OpPlan<'featureProducts'>, fs: readonly DeviceTensor[], basis: readonly DeviceTensor[]): Promise<FeatureProducts[]> {
    return featureProducts(this.ctx, p, gl(fs, 'featureProducts', 'fs'), gl(basis, 'featureProducts', 'basis'));
  }
  // the decoder ops (ops_decoder.ts)
  async rmsNorm(p: OpPlan<'rmsNorm'>, x: DeviceTensor, weight: DeviceTensor, eps: number, unitOffset: boolean): Promise<DeviceTensor> {
    return dec.rmsNorm(this.ctx, p, g(x, 'rmsNorm', 'x'), g(weight, 'rmsNorm', 'weight'), eps, unitOffset);
  }
  async rope(p: OpPlan<'rope'>, x: DeviceTensor, cos: DeviceTensor, sin: DeviceTensor): Promise<DeviceTensor> {
    return dec.rope(this.ctx, p, g(x, 'rope', 'x'), g(cos, 'rope', 'cos'), g(sin, 'rope', 'sin'));
  }
  async silu(_p: OpPlan<'silu'>, x: DeviceTensor): Promise<DeviceTensor> {
    return dec.silu(this.ctx, g(x, 'silu', 'x'));
  }
  async mul(p: OpPlan<'mul'>, a: DeviceTensor, b: DeviceTensor): Promise<DeviceTensor> {
    return dec.mul(this.ctx, p, g(a, 'mul', 'a'), g(b, 'mul', 'b'));
  }
  async groupedAttention(p: OpPlan<'groupedAttention'>, q: DeviceTensor, k: DeviceTensor, v: DeviceTensor, o: AttentionOptions): Promise<DeviceTensor> {
    return dec.groupedAttention(this.ctx, p, g(q, 'groupedAttention', 'q'), g(k, 'groupedAttention', 'k'), g(v, 'groupedAttention', 'v'), o);
  }
  async narrow(p: OpPlan<'narrow'>, x: DeviceTensor, start: number, length: number): Promise<DeviceTensor> {
    return dec.narrow(this.ctx, p, g(x, 'narrow', 'x'), start, length);
  }
  async softcap(_p: OpPlan<'softcap'>, x: DeviceTensor, cap: number): Promise<DeviceTensor> {
    return dec.softcap(this.ctx, g(x, 'softcap', 'x'), cap);
  }
}

/** The WebGPU backend: the checked Backend, with the core's device and context reachable. */
export type WebGPUBackend = Backend & Pick<WebGPUCore, 'dev' | 'ctx'>;

function backendOver(dev: GpuDevice, ctx: GpuContext): WebGPUBackend {
  const core = new WebGPUCore(dev, ctx);
  core.backend = checkedBackend(core);
  return core.backend as WebGPUBackend;
}

export interface WebGPUBackendOptions {
  /** Folder of the .wgsl files (default: shaders/ at the package root). */
  shaderDir?: string;
  /** Dawn options, e.g. `adapter=<name>` to pick one of several adapters or `backend=vulkan`. */
  dawnFlags?: readonly string[];
}

export async function createWebGPUBackend(opts: WebGPUBackendOptions = {}): Promise<WebGPUBackend> {
  const dev = await openDevice(opts.dawnFlags);
  return backendOver(dev, new GpuContext(dev, new ShaderLoader(opts.shaderDir)));
}

/** The backend on a hardware adapter, or null when Dawn's adapter is a software one (`auto`). */
export async function createHardwareWebGPUBackend(opts: WebGPUBackendOptions = {}): Promise<WebGPUBackend | null> {
  const dev = await openHardwareDevice(opts.dawnFlags);
  return dev && backendOver(dev, new GpuContext(dev, new ShaderLoader(opts.shaderDir)));
}
