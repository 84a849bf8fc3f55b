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

/** Returns `{ path, key }` for the first duplicate key, or undefined. `path` is the object's key path. */
export function findDuplicateKey(text: string): { path: string[]; key: string } | undefined {
  let pos = 0;
  const ws = (): void => {
    while (pos < text.length && ' \t\n\r'.includes(text[pos])) pos++;
  };
  const str = (): string => {
    const start = pos++;
    while (text[pos] !== '"') pos += text[pos] === '\\' ? 2 : 1;
    pos++;
    return JSON.parse(text.slice(start, pos)) as string;
  };
  const value = (path: string[]): { path: string[]; key: string } | undefined => {
    ws();
    const c = text[pos];
    if (c === '"') {
      str();
    } else if (c === '{' || c === '[') {
      pos++;
      const seen = new Set<string>();
      ws();
      while (text[pos] !== '}' && text[pos] !== ']') {
        let key = '';
        if (c === '{') {
          key = str();
          if (seen.has(key)) return { path, key };
          seen.add(key);
          ws();
          pos++; // ':'
        }
        const dup = value(c === '{' ? [...path, key] : path);
        if (dup) return dup;
        ws();
        if (text[pos] === ',') pos++;
        ws();
      }
      pos++;
    } else {
      while (pos < text.length && !',}] \t\n\r'.includes(text[pos])) pos++;
    }
    return undefined;
  };
  return value([]);
}
