import type { Backend } from '../backend.js';
// Placeholder until the WebGPU backend lands (issue 5).
export async function createWebGPUBackend(): Promise<Backend> {
  throw new Error('webgpu backend: not built yet');
}
export async function hasHardwareAdapter(): Promise<boolean> {
  return false;
}
