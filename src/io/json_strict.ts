// Strict JSON objects for headers, indexes and configs. JSON.parse keeps the last of two equal keys
// without a word; findDuplicateKey walks already-valid JSON text (run JSON.parse first) and reports
// the first object, at any depth, that names a key twice. Keys are compared after unescaping.

/** Parses `text` (read from `file`) as a JSON object with no key named twice at any depth; errors
 *  name the file and `what` it holds ("safetensors header", "index", "model config"). */
export function parseJsonObject(file: string, text: string, what: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: ${what} is not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error(`${file}: ${what} must be a JSON object`);
  const dup = findDuplicateKey(text);
  if (dup) throw new Error(`${file}: ${what} has duplicate key "${dup.key}"${dup.path.length ? ` in "${dup.path.join('.')}"` : ''}`);
  return json as Record<string, unknown>;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
/** `,` `}` `]` or whitespace: where a number, true, false or null ends. */
const endsScalar = (c: number): boolean => c === 0x2c || c === 0x7d || c === 0x5d || isSpace(c);

/** Returns `{ path, key }` for the first duplicate key, or undefined. `path` is the object's key path. */
export function findDuplicateKey(text: string): { path: string[]; key: string } | undefined {
  let pos = 0;
  const path: string[] = []; // keys from the root to the value being scanned
  const ws = (): void => {
    while (pos < text.length && isSpace(text.charCodeAt(pos))) pos++;
  };
  // A string token; only one with escapes needs JSON.parse to get its value.
  const str = (): string => {
    const start = ++pos;
    let escaped = false;
    while (text.charCodeAt(pos) !== QUOTE) {
      if (text.charCodeAt(pos) === BACKSLASH) {
        escaped = true;
        pos++;
      }
      pos++;
    }
    pos++;
    return escaped ? (JSON.parse(text.slice(start - 1, pos)) as string) : text.slice(start, pos - 1);
  };
  const value = (): { path: string[]; key: string } | undefined => {
    ws();
    const c = text[pos];
    if (c === '"') {
      str();
    } else if (c === '{' || c === '[') {
      pos++;
      const seen = c === '{' ? new Set<string>() : undefined;
      ws();
      while (text[pos] !== '}' && text[pos] !== ']') {
        if (seen) {
          const key = str();
          if (seen.has(key)) return { path: [...path], key };
          seen.add(key);
          ws();
          pos++; // ':'
          path.push(key);
        }
        const dup = value();
        if (dup) return dup;
        if (seen) path.pop();
        ws();
        if (text[pos] === ',') pos++;
        ws();
      }
      pos++;
    } else {
      while (pos < text.length && !endsScalar(text.charCodeAt(pos))) pos++;
    }
    return undefined;
  };
  return value();
}
