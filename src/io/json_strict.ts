// Strict JSON objects for headers, indexes and configs. JSON.parse keeps the last of two equal keys
// without a word; scanJson walks already-valid JSON text (run JSON.parse first) with an explicit
// stack (no recursion, so any depth is safe), stops at MAX_JSON_DEPTH, and reports the first object
// that names a key twice. Keys are compared after unescaping.
import { displayName, quoteName } from '../util/escape.js';

/** Deepest nesting of objects and arrays ctlkit accepts in a header, index or config (real ones
 *  nest 2–6 levels). */
export const MAX_JSON_DEPTH = 64;

/** Parses `text` (read from `file`) as a JSON object nested at most MAX_JSON_DEPTH levels with no
 *  key named twice at any depth; errors name the file and `what` it holds ("safetensors header",
 *  "index", "model config"). */
export function parseJsonObject(file: string, text: string, what: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: ${what} is not valid JSON (${jsonSyntaxReason(e)})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error(`${file}: ${what} must be a JSON object`);
  const found = scanJson(text);
  if (found?.kind === 'depth') throw new Error(`${file}: ${what} nests deeper than ${MAX_JSON_DEPTH} levels (at character ${found.at})`);
  if (found?.kind === 'duplicate') {
    const where = found.path.length ? ` in ${quoteName(found.path.join('.'))}` : '';
    throw new Error(`${file}: ${what} has duplicate key ${quoteName(found.key)}${where}`);
  }
  return json as Record<string, unknown>;
}

/** JSON.parse's message, escaped and cut to 200 characters: V8 quotes the input around the fault,
 *  newlines and control characters included. */
export function jsonSyntaxReason(e: unknown): string {
  return displayName(e instanceof Error ? e.message : String(e), 200);
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
/** `,` `}` `]` or whitespace: where a number, true, false or null ends. */
const endsScalar = (c: number): boolean => c === 0x2c || c === 0x7d || c === 0x5d || isSpace(c);

export type JsonFinding =
  | { kind: 'duplicate'; path: string[]; key: string }
  | { kind: 'depth'; at: number };

/** The first duplicate key (`path`: the object's key path) or the first point nested deeper than
 *  `maxDepth`, whichever comes first in the text; undefined when neither. */
export function scanJson(text: string, maxDepth = MAX_JSON_DEPTH): JsonFinding | undefined {
  let pos = 0;
  // one frame per open container: the keys seen (objects) or undefined (arrays), and the key under
  // which the container sits in its parent
  const stack: { seen: Set<string> | undefined; key: string | undefined }[] = [];
  const ws = (): void => {
    while (pos < text.length && isSpace(text.charCodeAt(pos))) pos++;
  };
  // A string token; only one with escapes needs JSON.parse to get its value.
  const str = (): string => {
    const start = ++pos;
    let escaped = false;
    while (pos < text.length && text.charCodeAt(pos) !== QUOTE) {
      if (text.charCodeAt(pos) === BACKSLASH) {
        escaped = true;
        pos++;
      }
      pos++;
    }
    pos++;
    return escaped ? (JSON.parse(text.slice(start - 1, pos)) as string) : text.slice(start, pos - 1);
  };
  const path = (): string[] => stack.filter((f) => f.key !== undefined).map((f) => f.key!);
  let pendingKey: string | undefined; // the key whose value comes next
  while (pos < text.length) {
    ws();
    if (pos >= text.length) break;
    const top = stack[stack.length - 1];
    const c = text[pos];
    if (c === '}' || c === ']') {
      stack.pop();
      pos++;
    } else if (c === ',') {
      pos++;
    } else if (top?.seen && pendingKey === undefined) {
      // an object member's key, then ':'
      const key = str();
      if (top.seen.has(key)) return { kind: 'duplicate', path: path(), key };
      top.seen.add(key);
      ws();
      pos++;
      pendingKey = key;
    } else if (c === '{' || c === '[') {
      if (stack.length >= maxDepth) return { kind: 'depth', at: pos };
      stack.push({ seen: c === '{' ? new Set() : undefined, key: pendingKey });
      pendingKey = undefined;
      pos++;
    } else {
      if (c === '"') str();
      else while (pos < text.length && !endsScalar(text.charCodeAt(pos))) pos++;
      pendingKey = undefined;
    }
    if (stack.length === 0 && pos > 0) break;
  }
  return undefined;
}

/** The first duplicate key, as before scanJson existed (no depth limit hit first). */
export function findDuplicateKey(text: string): { path: string[]; key: string } | undefined {
  const f = scanJson(text, Number.MAX_SAFE_INTEGER);
  return f?.kind === 'duplicate' ? { path: f.path, key: f.key } : undefined;
}
