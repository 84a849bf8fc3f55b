// Opens a fast backend for a test file. A backend that cannot be created is skipped with one
// printed line, unless CTLKIT_REQUIRE_BACKENDS names it (CI sets native,webgpu): then it is an
// error, so a silently missing backend can never turn a suite green.
import type { Backend, BackendName } from '../../src/backends/backend.js';
import { createBackend } from '../../src/backends/index.js';

export const requiredBackends: readonly string[] = (process.env.CTLKIT_REQUIRE_BACKENDS ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);

/** The backend `name`, or null (skip) when it is unavailable and not required. */
export async function openTestBackend(name: BackendName, label: string): Promise<Backend | null> {
  let reason: string;
  try {
    const be = await createBackend(name, { quiet: true });
    if (be.name === name) return be;
    await be.dispose();
    reason = `createBackend('${name}') returned the '${be.name}' backend`;
  } catch (e) {
    if (name === 'reference') throw e;
    reason = (e as Error).message.split('\n')[0];
  }
  if (requiredBackends.includes(name)) {
    throw new Error(`${label}: CTLKIT_REQUIRE_BACKENDS names ${name}, but it is not available: ${reason}`);
  }
  console.log(`${label}: ${name} not available (${reason}): skipped`);
  return null;
}
