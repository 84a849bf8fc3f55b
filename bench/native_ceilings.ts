// Loads the addon's ceiling functions (native/ops/ceilings.cpp) for the bench. Bench-only: when
// this was written, src/backends/native/bindings.ts (the backend's typed loader) was not in main.
import { createRequire } from 'node:module';
import path from 'node:path';
import { repoRoot } from '../test/harness/paths.js';

export interface CeilingsModule {
  /** `threads` threads × `iterations` rounds of 12 independent FMA chains */
  ceilingsFmaPeak(threads: number, iterations: number): Promise<{ seconds: number; flops: number; isa: string }>;
  /** copies `bytes` bytes `repeats` times over `threads` threads; bytesMoved = 2·bytes (read + write) */
  ceilingsCopy(bytes: number, threads: number, repeats: number): Promise<{ seconds: number[]; bytesMoved: number }>;
}

export function loadCeilings(): CeilingsModule {
  const file = path.join(repoRoot, 'build', 'Release', 'ctlkit.node');
  try {
    return createRequire(import.meta.url)(file) as CeilingsModule;
  } catch (e) {
    throw new Error(`bench: the native addon (${file}) could not be loaded for the ceilings: ${(e as Error).message}; build it with \`node scripts/build-native.mjs\``);
  }
}
