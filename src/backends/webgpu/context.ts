// The device runtime the ops are written against: tensor allocation from the buffer pool,
// dispatches encoded into one command encoder and submitted every BATCH dispatches or on
// read/flush, uniform parameter blocks, and uncaptured-error reporting.
import { numel, shapeStr } from '../../tensor.js';
import type { DeviceTensor } from '../backend.js';
import { BufferPool } from './buffer_pool.js';
import type { GpuDevice } from './device.js';
import { PipelineCache, type Overrides } from './pipeline_cache.js';
import { ShaderLoader } from './shader_loader.js';

/** Storage shared by a tensor and its reshaped views. */
export class Storage {
  released = false;
  constructor(
    readonly buffer: GPUBuffer,
    readonly bytes: number,
    /** Host copy of int32 data uploaded from the host (embedding ids are validated against it). */
    readonly hostInts: Int32Array | null,
  ) {}
}

export class GpuTensor implements DeviceTensor {
  constructor(
    readonly shape: readonly number[],
    readonly dtype: 'float32' | 'int32',
    readonly storage: Storage,
  ) {}
  get numel(): number {
    return numel(this.shape);
  }
}

/** Runtime values of one dispatch: u32 fields first, then f32 fields, in WGSL struct order. */
export interface Params {
  u?: readonly number[];
  f?: readonly number[];
}

/** Elements [first, first + count) of a tensor, bound on their own (for tensors split into
 *  windows below maxStorageBufferBindingSize; `first` · 4 must be offset-aligned). */
export interface Window {
  readonly tensor: GpuTensor;
  readonly first: number;
  readonly count: number;
}

/** A buffer binding: a tensor, a window of one, or a raw buffer. */
export type Binding = GpuTensor | Window | GPUBuffer;

/** Throws the backend's argument error: `webgpu: <op>: <msg>`. */
export function fail(op: string, msg: string): never {
  throw new Error(`webgpu: ${op}: ${msg}`);
}

const BATCH = 64;
/** WebGPU's default maxComputeWorkgroupsPerDimension. */
export const MAX_GROUPS = 65535;

/** Workgroup grid for `groups` workgroups laid out as x + y·X (shaders rebuild the index). */
export function grid(op: string, groups: number): [number, number, number] {
  if (groups <= MAX_GROUPS) return [groups, 1, 1];
  const y = Math.ceil(groups / MAX_GROUPS);
  if (y > MAX_GROUPS) throw new Error(`webgpu: ${op}: ${groups} workgroups exceed the ${MAX_GROUPS}² grid`);
  return [MAX_GROUPS, y, 1];
}

export class GpuContext {
  readonly device: GPUDevice;
  readonly pool: BufferPool;
  readonly pipelines: PipelineCache;
  /** maxStorageBufferBindingSize (tests lower it to exercise splitting). */
  maxBinding: number;
  readonly maxBuffer: number;
  /** Bound in place of absent optional read-only / read-write inputs. */
  readonly dummyRead: GPUBuffer;
  readonly dummyWrite: GPUBuffer;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private encoded = 0;
  private error: Error | null = null;
  /** Completion of the latest submit (the queue completes submits in order). */
  private lastDone: Promise<void> = Promise.resolve();
  private disposed = false;

  constructor(readonly dev: GpuDevice, loader = new ShaderLoader()) {
    this.device = dev.device;
    this.maxBinding = this.device.limits.maxStorageBufferBindingSize;
    this.maxBuffer = this.device.limits.maxBufferSize;
    this.pool = new BufferPool(this.device, this.maxBuffer);
    this.pipelines = new PipelineCache(this.device, loader);
    this.dummyRead = this.pool.acquire(256, 'ctlkit:dummy-read');
    this.dummyWrite = this.pool.acquire(256, 'ctlkit:dummy-write');
    this.device.onuncapturederror = (ev: GPUUncapturedErrorEvent) => {
      this.error ??= new Error(`webgpu: device error: ${ev.error.message}`);
    };
    void this.device.lost.then((info) => {
      if (!this.disposed) this.error ??= new Error(`webgpu: device lost (${info.reason}): ${info.message}`);
    });
  }

  /** A new float32/int32 tensor of `shape` for op `op`. Checks the binding limit unless the op
   *  splits (`splits`: upload and combine), then only the buffer limit. */
  alloc(op: string, shape: readonly number[], dtype: 'float32' | 'int32' = 'float32', hostInts: Int32Array | null = null, splits = false): GpuTensor {
    const bytes = numel(shape) * 4;
    if (splits) {
      if (bytes > this.maxBuffer) throw new Error(`webgpu: ${op}: tensor ${shapeStr(shape)} needs ${bytes} bytes, more than the adapter's maxBufferSize ${this.maxBuffer}`);
    } else {
      this.checkSize(op, shape, bytes);
    }
    const buf = this.pool.acquire(bytes, `ctlkit:${op}${shapeStr(shape)}`);
    return new GpuTensor([...shape], dtype, new Storage(buf, bytes, hostInts));
  }

  checkSize(op: string, shape: readonly number[], bytes: number): void {
    if (bytes > this.maxBinding) {
      throw new Error(
        `webgpu: ${op}: tensor ${shapeStr(shape)} needs ${bytes} bytes, more than the adapter's ` +
          `maxStorageBufferBindingSize ${this.maxBinding} (only combine splits large tensors)`,
      );
    }
  }

  /** A storage buffer holding `data` (released by the caller after encoding). */
  scratch(label: string, data: Float32Array): GPUBuffer {
    const buf = this.pool.acquire(data.byteLength, label);
    this.device.queue.writeBuffer(buf, 0, data.buffer, data.byteOffset, data.byteLength);
    return buf;
  }

  write(t: GpuTensor, data: Float32Array | Int32Array): void {
    if (data.byteLength > 0) this.device.queue.writeBuffer(t.storage.buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  }

  release(t: GpuTensor): void {
    if (t.storage.released) throw new Error(`webgpu: tensor ${shapeStr(t.shape)} released twice`);
    t.storage.released = true;
    this.pool.release(t.storage.buffer);
  }

  /** Encodes one dispatch of shaders/<shader>.wgsl: binding 0 = params, 1.. = `bindings`. */
  async dispatch(
    op: string,
    shader: string,
    overrides: Overrides,
    params: Params,
    bindings: readonly Binding[],
    groups: [number, number, number],
  ): Promise<void> {
    if (this.disposed) throw new Error(`webgpu: ${op}: the backend was disposed`);
    const resources = bindings.map((b, i) => this.resource(op, i + 1, b));
    const pipeline = await this.pipelines.get(shader, overrides);
    if (groups[0] * groups[1] * groups[2] === 0) return;
    const uniform = this.uniform(op, params);
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: uniform } }];
    resources.forEach((resource, i) => entries.push({ binding: i + 1, resource }));
    const bindGroup = this.device.createBindGroup({ label: `ctlkit:${op}:${shader}`, layout: pipeline.getBindGroupLayout(0), entries });
    const pass = this.computePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(groups[0], groups[1], groups[2]);
    this.pool.release(uniform);
    if (++this.encoded >= BATCH) this.submit();
  }

  private resource(op: string, binding: number, b: Binding): GPUBufferBinding {
    if (!(b instanceof GpuTensor) && !('tensor' in b)) return { buffer: b };
    const t = b instanceof GpuTensor ? b : b.tensor;
    if (t.storage.released) throw new Error(`webgpu: ${op}: binding ${binding} ${shapeStr(t.shape)} was already released`);
    if (b instanceof GpuTensor) {
      this.checkSize(op, t.shape, t.storage.bytes);
      return { buffer: t.storage.buffer, size: Math.max(4, t.storage.bytes) };
    }
    return { buffer: t.storage.buffer, offset: b.first * 4, size: Math.max(4, b.count * 4) };
  }

  private uniform(op: string, p: Params): GPUBuffer {
    const u = p.u ?? [];
    const f = p.f ?? [];
    const data = new ArrayBuffer(Math.max(16, Math.ceil((u.length + f.length) / 4) * 16));
    const view = new DataView(data);
    u.forEach((v, i) => view.setUint32(i * 4, v, true));
    f.forEach((v, i) => view.setFloat32((u.length + i) * 4, v, true));
    const buf = this.pool.acquire(data.byteLength, `ctlkit:${op}:params`);
    this.device.queue.writeBuffer(buf, 0, data);
    return buf;
  }

  private computePass(): GPUComputePassEncoder {
    this.encoder ??= this.device.createCommandEncoder({ label: 'ctlkit:batch' });
    this.pass ??= this.encoder.beginComputePass({ label: 'ctlkit:pass' });
    return this.pass;
  }

  /** Dispatches encoded since the last submit (submitted every BATCH, or on read/flush). */
  get pending(): number {
    return this.encoded;
  }

  /** Submits everything encoded so far. */
  submit(): void {
    this.pass?.end();
    this.pass = null;
    if (this.encoder) this.device.queue.submit([this.encoder.finish({ label: 'ctlkit:batch' })]);
    this.encoder = null;
    this.encoded = 0;
    this.lastDone = this.pool.afterSubmit(this.device.queue);
  }

  async flush(): Promise<void> {
    this.submit();
    await this.lastDone;
    this.throwError();
  }

  private throwError(): void {
    if (this.error) {
      const e = this.error;
      this.error = null;
      throw e;
    }
  }

  /** Copies `bytes` of a buffer back to the host. */
  async readBytes(label: string, src: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
    const size = Math.max(4, Math.ceil(bytes / 4) * 4);
    const staging = this.device.createBuffer({ label: `ctlkit:read:${label}`, size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.pass?.end();
    this.pass = null;
    this.encoder ??= this.device.createCommandEncoder({ label: 'ctlkit:batch' });
    this.encoder.copyBufferToBuffer(src, 0, staging, 0, size);
    this.submit();
    try {
      await staging.mapAsync(GPUMapMode.READ);
      this.throwError();
      return staging.getMappedRange().slice(0, bytes);
    } finally {
      staging.destroy();
    }
  }

  async read(t: GpuTensor): Promise<Float32Array | Int32Array> {
    if (t.storage.released) throw new Error(`webgpu: read: tensor ${shapeStr(t.shape)} was already released`);
    const bytes = t.numel * 4;
    const data = await this.readBytes(`tensor${shapeStr(t.shape)}`, t.storage.buffer, bytes);
    return t.dtype === 'int32' ? new Int32Array(data) : new Float32Array(data);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    try {
      await this.flush();
    } finally {
      this.disposed = true;
      this.pool.destroy();
      this.device.destroy();
    }
  }
}
