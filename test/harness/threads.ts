// Runs a module script in a fresh node with a given native thread count (the thread pool's size is
// fixed at load), for tests that check results do not depend on it.
import { spawnSync } from 'node:child_process';
import * as assert from 'uvu/assert';

/** The script's trimmed stdout with CTLKIT_NUM_THREADS = threads (undefined: the default); the test
 *  fails when it exits non-zero. */
export function runWithThreads(script: string, threads?: string): string {
  const env = { ...process.env };
  if (threads) env.CTLKIT_NUM_THREADS = threads;
  else delete env.CTLKIT_NUM_THREADS;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env });
  assert.is(r.status, 0, r.stderr);
  return r.stdout.trim();
}
