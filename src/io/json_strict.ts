// JSON.parse keeps the last of two equal keys without a word; this scan finds such duplicates.
// It walks already-valid JSON text (run JSON.parse first) and reports the first object, at any
// depth, that names a key twice. Keys are compared after unescaping ("a" equals "\u0061").

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
