// Small helpers shared by the CLI commands: atomic JSON output, comma lists, integer arguments.
import { writeFileAtomic } from '../io/atomic.js';

/** Writes `value` as indented JSON through a temporary file renamed into place. */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/** "a, b,c" → ["a", "b", "c"]; `what` names the option in the error for an empty list. */
export function parseList(value: string, what = 'list'): string[] {
  const items = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new Error(`${what}: expected a comma-separated list, got ${JSON.stringify(value)}`);
  return items;
}

/** A command-line integer at least `min` (an error naming the option otherwise). */
export function parseIntArg(value: string, what: string, min = -Infinity): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    const expected = min === -Infinity ? 'an integer' : min === 1 ? 'a positive integer' : `an integer ≥ ${min}`;
    throw new Error(`${what}: expected ${expected}, got '${value}'`);
  }
  return n;
}
