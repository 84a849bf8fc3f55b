import type { Backend } from '../backend.js';
// Placeholder until the native backend lands (issue 4).
export async function createNativeBackend(): Promise<Backend> {
  throw new Error('native backend: not built yet');
}
