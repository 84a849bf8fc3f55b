// Picks a backend by name. `auto`: WebGPU on a hardware adapter, else native, else reference.
import type { Backend, BackendName } from './backend.js';

export type BackendChoice = BackendName | 'auto';

/** compute: the native backend's GEMM mode (bindings.ts NativeCompute; 'f32' unless given). */
export async function createBackend(name: BackendChoice, opts: { quiet?: boolean; compute?: 'f32' | 'bf16' } = {}): Promise<Backend> {
  switch (name) {
    case 'reference': {
      const { createReferenceBackend } = await import('./reference/index.js');
      return createReferenceBackend();
    }
    case 'native': {
      const { createNativeBackend } = await import('./native/index.js');
      return createNativeBackend({ compute: opts.compute });
    }
    case 'webgpu': {
      const { createWebGPUBackend } = await import('./webgpu/index.js');
      return createWebGPUBackend();
    }
    case 'auto':
      return createAutoBackend(opts.quiet ?? false);
    default:
      throw new Error(`unknown backend '${String(name)}': expected reference, native, webgpu or auto`);
  }
}

async function createAutoBackend(quiet: boolean): Promise<Backend> {
  const { createHardwareWebGPUBackend } = await import('./webgpu/index.js');
  const gpu = await createHardwareWebGPUBackend().catch(() => null);
  if (gpu) return gpu;
  try {
    const { createNativeBackend } = await import('./native/index.js');
    return await createNativeBackend();
  } catch (e) {
    if (!quiet) console.warn(`ctlkit: native backend unavailable (${(e as Error).message}); using the reference backend`);
    const { createReferenceBackend } = await import('./reference/index.js');
    return createReferenceBackend();
  }
}
