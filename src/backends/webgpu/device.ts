// WebGPU adapter and device creation through Dawn (the `webgpu` npm package).
// Dawn on Node: the object returned by `create()` must stay referenced while any device lives,
// so it is returned in `GpuDevice.gpu` and held by the backend until dispose.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface GpuDevice {
  /** The Dawn GPU object from `create()`: keep it referenced while `device` lives. */
  readonly gpu: GPU;
  readonly adapter: GPUAdapter;
  readonly device: GPUDevice;
  /** Human-readable adapter name (vendor, device, description). */
  readonly adapterName: string;
}

const NO_ADAPTER =
  'webgpu: no WebGPU adapter found (on Linux without a GPU install a Vulkan driver such as Mesa ≥ 24 lavapipe)';

interface DawnModule {
  create(flags: string[]): GPU;
  globals: Record<string, unknown>;
}

function loadDawn(): DawnModule {
  const dawn = require('webgpu') as DawnModule;
  // WebGPU constants (GPUBufferUsage, GPUMapMode, …) live on the global object in browsers.
  for (const [k, v] of Object.entries(dawn.globals)) {
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  }
  return dawn;
}

/** `dawnFlags`: Dawn options such as `adapter=<name>` or `backend=vulkan` (see the webgpu package). */
async function requestAdapter(dawnFlags: readonly string[]): Promise<{ gpu: GPU; adapter: GPUAdapter }> {
  let gpu: GPU;
  let adapter: GPUAdapter | null;
  try {
    gpu = loadDawn().create([...dawnFlags]);
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    throw new Error(`${NO_ADAPTER}; Dawn said: ${(e as Error).message.split('\n').join(' ')}`);
  }
  if (!adapter) throw new Error(NO_ADAPTER);
  return { gpu, adapter };
}

/** True for CPU/software adapters (lavapipe, llvmpipe, SwiftShader, WARP). */
export function isSoftwareAdapter(info: GPUAdapterInfo): boolean {
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  return /lavapipe|llvmpipe|swiftshader|software|microsoft basic render/.test(text);
}

/** A WebGPU adapter exists and is a hardware GPU (used by `--backend auto`). */
export async function hasHardwareAdapter(dawnFlags: readonly string[] = []): Promise<boolean> {
  const { adapter } = await requestAdapter(dawnFlags);
  return !isSoftwareAdapter(adapter.info);
}

/** Opens the adapter and a device with the storage-buffer limits raised to the adapter's. */
export async function openDevice(dawnFlags: readonly string[] = []): Promise<GpuDevice> {
  const { gpu, adapter } = await requestAdapter(dawnFlags);
  return deviceOn(gpu, adapter);
}

/** Like openDevice, but null (and no device) when the adapter is a software one: `--backend auto`
 *  asks Dawn for the adapter once instead of probing first and opening again. */
export async function openHardwareDevice(dawnFlags: readonly string[] = []): Promise<GpuDevice | null> {
  const { gpu, adapter } = await requestAdapter(dawnFlags);
  return isSoftwareAdapter(adapter.info) ? null : deviceOn(gpu, adapter);
}

async function deviceOn(gpu: GPU, adapter: GPUAdapter): Promise<GpuDevice> {
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    label: 'ctlkit',
    requiredLimits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
    },
  });
  const i = adapter.info;
  const adapterName = [i.vendor, i.device, i.description].filter((s) => s).join(' / ');
  return { gpu, adapter, device, adapterName };
}
