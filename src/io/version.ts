// The ctlkit version, from the package's own package.json (dist/src/io/version.js → three levels up).
import { readFileSync } from 'node:fs';

let cached: string | undefined;

export function ctlkitVersion(): string {
  cached ??= (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return cached;
}
