// The WebGPU backend: hand-written WGSL kernels (shaders/) on Dawn. Features stay on the device;
// featureStats reads back only per-workgroup partial sums.
import { numel, shapeStr } from '../../tensor.js';
import type { Backend, Conv2dOptions, ConvEpilogue, DeviceTensor, FeatureProducts, FeatureStats, OpName, Pool2dOptions } from '../backend.js';
import { applyConvEpilogue } from '../conv_epilogue.js';
import { GpuContext, GpuTensor } from './context.js';
import { openDevice, openHardwareDevice, type GpuDevice } from './device.js';
import * as ew from './ops_elementwise.js';
import * as gm from './ops_gemm.js';
import * as rd from './ops_reduce.js';
import * as cb from './ops_combine.js';
import { ShaderLoader } from './shader_loader.js';

export { hasHardwareAdapter } from './device.js';

function gpuTensor(t: DeviceTensor, what: string, dtype: 'float32' | 'int32' | null = 'float32'): GpuTensor {
  if (!(t instanceof GpuTensor)) throw new Error(`webgpu: ${what} is not a tensor of the webgpu backend`);
  if (dtype && t.dtype !== dtype) throw new Error(`webgpu: ${what} is ${t.dtype}, expected ${dtype}`);
  return t;
}

export class WebGPUBackend implements Backend {
  readonly name = 'webgpu' as const;

  /** `dev.gpu` (Dawn's create() object) stays referenced here for as long as the device lives. */
  constructor(readonly dev: GpuDevice, readonly ctx: GpuContext) {}

  supports(_op: OpName): boolean {
    return true;
  }

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
    return this.ctx.read(gpuTensor(t, 'read: t', null));
  }

  reshape(t: DeviceTensor, shape: readonly number[]): DeviceTensor {
    const g = gpuTensor(t, 'reshape: t', null);
    if (numel(shape) !== g.numel) throw new Error(`webgpu: reshape: ${shapeStr(g.shape)} cannot become ${shapeStr(shape)}`);
    return new GpuTensor([...shape], g.dtype, g.storage);
  }

  release(t: DeviceTensor): void {
    this.ctx.release(gpuTensor(t, 'release: t', null));
  }

  flush(): Promise<void> {
    return this.ctx.flush();
  }

  async dispose(): Promise<void> {
    await this.ctx.dispose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  async matmul(a: DeviceTensor, b: DeviceTensor, transB: boolean): Promise<DeviceTensor> {
    return gm.matmul(this.ctx, gpuTensor(a, 'matmul: a'), gpuTensor(b, 'matmul: b'), transB);
  }
  async linear(x: DeviceTensor, w: DeviceTensor, b: DeviceTensor | null, layout: 'outIn' | 'inOut'): Promise<DeviceTensor> {
    return gm.linear(this.ctx, gpuTensor(x, 'linear: x'), gpuTensor(w, 'linear: w'), b && gpuTensor(b, 'linear: b'), layout);
  }
  async conv2d(x: DeviceTensor, w: DeviceTensor, b: DeviceTensor | null, o: Conv2dOptions, epilogue?: ConvEpilogue): Promise<DeviceTensor> {
    const y = await gm.conv2d(this.ctx, gpuTensor(x, 'conv2d: x'), gpuTensor(w, 'conv2d: w'), b && gpuTensor(b, 'conv2d: b'), o);
    return applyConvEpilogue(this, y, epilogue);
  }
  async batchNorm(x: DeviceTensor, mean: DeviceTensor, variance: DeviceTensor, weight: DeviceTensor, bias: DeviceTensor, eps: number): Promise<DeviceTensor> {
    const g = (t: DeviceTensor, n: string) => gpuTensor(t, `batchNorm: ${n}`);
    return ew.batchNorm(this.ctx, g(x, 'x'), g(mean, 'mean'), g(variance, 'variance'), g(weight, 'weight'), g(bias, 'bias'), eps);
  }
  async layerNorm(x: DeviceTensor, weight: DeviceTensor, bias: DeviceTensor, eps: number): Promise<DeviceTensor> {
    return rd.layerNorm(this.ctx, gpuTensor(x, 'layerNorm: x'), gpuTensor(weight, 'layerNorm: weight'), gpuTensor(bias, 'layerNorm: bias'), eps);
  }
  async relu(x: DeviceTensor): Promise<DeviceTensor> {
    return ew.relu(this.ctx, gpuTensor(x, 'relu: x'));
  }
  async gelu(x: DeviceTensor, approximate: 'erf' | 'tanh'): Promise<DeviceTensor> {
    return ew.gelu(this.ctx, gpuTensor(x, 'gelu: x'), approximate);
  }
  async quickGelu(x: DeviceTensor): Promise<DeviceTensor> {
    return ew.quickGelu(this.ctx, gpuTensor(x, 'quickGelu: x'));
  }
  async l2Normalize(x: DeviceTensor): Promise<DeviceTensor> {
    return rd.l2Normalize(this.ctx, gpuTensor(x, 'l2Normalize: x'));
  }
  async concatLast(xs: readonly DeviceTensor[]): Promise<DeviceTensor> {
    return ew.concatLast(this.ctx, xs.map((x, i) => gpuTensor(x, `concatLast: xs[${i}]`)));
  }
  async add(a: DeviceTensor, b: DeviceTensor): Promise<DeviceTensor> {
    return ew.add(this.ctx, gpuTensor(a, 'add: a'), gpuTensor(b, 'add: b'));
  }
  async maxPool2d(x: DeviceTensor, o: Pool2dOptions): Promise<DeviceTensor> {
    return rd.maxPool2d(this.ctx, gpuTensor(x, 'maxPool2d: x'), o);
  }
  async avgPool2d(x: DeviceTensor, o: Pool2dOptions): Promise<DeviceTensor> {
    return rd.avgPool2d(this.ctx, gpuTensor(x, 'avgPool2d: x'), o);
  }
  async adaptiveAvgPool2d(x: DeviceTensor, outH: number, outW: number): Promise<DeviceTensor> {
    return rd.adaptiveAvgPool2d(this.ctx, gpuTensor(x, 'adaptiveAvgPool2d: x'), outH, outW);
  }
  async attention(qkv: DeviceTensor, heads: number, causal: boolean): Promise<DeviceTensor> {
    return rd.attention(this.ctx, gpuTensor(qkv, 'attention: qkv'), heads, causal);
  }
  async embedding(ids: DeviceTensor, table: DeviceTensor): Promise<DeviceTensor> {
    return ew.embedding(this.ctx, gpuTensor(ids, 'embedding: ids', 'int32'), gpuTensor(table, 'embedding: table'));
  }
  async transpose12(x: DeviceTensor): Promise<DeviceTensor> {
    return ew.transpose12(this.ctx, gpuTensor(x, 'transpose12: x'));
  }
  async prependToken(x: DeviceTensor, token: DeviceTensor): Promise<DeviceTensor> {
    return ew.prependToken(this.ctx, gpuTensor(x, 'prependToken: x'), gpuTensor(token, 'prependToken: token'));
  }
  async selectToken(x: DeviceTensor, index: number): Promise<DeviceTensor> {
    return ew.selectToken(this.ctx, gpuTensor(x, 'selectToken: x'), index);
  }
  async combine(basis: readonly DeviceTensor[], coeffs: Float64Array, k: number): Promise<DeviceTensor[]> {
    return cb.combine(this.ctx, basis.map((b, j) => gpuTensor(b, `combine: basis ${j}`)), coeffs, k);
  }
  async featureStats(f: DeviceTensor, basis: readonly DeviceTensor[], c: Float64Array): Promise<FeatureStats> {
    return cb.featureStats(this.ctx, gpuTensor(f, 'featureStats: f'), basis.map((b, j) => gpuTensor(b, `featureStats: basis ${j}`)), c);
  }

  /** One featureStats pass per (F, basis tensor) pair, coefficient 1: no kernel of its own yet. */
  async featureProducts(fs: readonly DeviceTensor[], basis: readonly DeviceTensor[]): Promise<FeatureProducts[]> {
    if (fs.length === 0 || basis.length === 0) throw new Error('webgpu featureProducts: fs and basis must each hold at least one tensor');
    const out: FeatureProducts[] = [];
    for (const f of fs) {
      const n = f.shape[0] ?? 0, m = basis.length;
      const p: FeatureProducts = { dots: new Float64Array(n * m), ff: new Float64Array(n) };
      for (let j = 0; j < m; j++) {
        const s = await this.featureStats(f, [basis[j]], new Float64Array([1]));
        for (let i = 0; i < n; i++) p.dots[i * m + j] = s.dot[i];
        if (j === 0) p.ff.set(s.ff);
      }
      out.push(p);
    }
    return out;
  }
}

export interface WebGPUBackendOptions {
  /** Folder of the .wgsl files (default: shaders/ at the package root). */
  shaderDir?: string;
  /** Dawn options, e.g. `adapter=<name>` to pick one of several adapters or `backend=vulkan`. */
  dawnFlags?: readonly string[];
}

export async function createWebGPUBackend(opts: WebGPUBackendOptions = {}): Promise<WebGPUBackend> {
  const dev = await openDevice(opts.dawnFlags);
  return new WebGPUBackend(dev, new GpuContext(dev, new ShaderLoader(opts.shaderDir)));
}

/** The backend on a hardware adapter, or null when Dawn's adapter is a software one (`auto`). */
export async function createHardwareWebGPUBackend(opts: WebGPUBackendOptions = {}): Promise<WebGPUBackend | null> {
  const dev = await openHardwareDevice(opts.dawnFlags);
  return dev && new WebGPUBackend(dev, new GpuContext(dev, new ShaderLoader(opts.shaderDir)));
}
