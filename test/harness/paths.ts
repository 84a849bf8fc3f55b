// Locations the tests read from, independent of where the compiled test file lives.
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** Repository root (dist/test/harness/paths.js → three levels up). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const fixturesDir = path.join(repoRoot, 'test', 'fixtures');
export const fixture = (...parts: string[]): string => path.join(fixturesDir, ...parts);
