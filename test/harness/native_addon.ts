// The native addon for a test file: loaded, or null with one "skipped" line, unless
// CTLKIT_REQUIRE_BACKENDS names native (then a load failure fails the file).
import { loadNative, type NativeModule } from '../../src/backends/native/bindings.js';
import { requiredBackends } from './backends.js';

export function addonForTests(file: string): NativeModule | null {
  try {
    return loadNative();
  } catch (e) {
    if (requiredBackends.includes('native')) throw e;
    console.log(`${file}: addon not available (${(e as Error).message.split('\n')[0]}): skipped`);
    return null;
  }
}
