import type { Backend } from '../backend.js';
// Placeholder until the reference backend lands (issue 2).
export async function createReferenceBackend(): Promise<Backend> {
  throw new Error('reference backend: not built yet');
}
