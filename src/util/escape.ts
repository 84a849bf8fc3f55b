// Names and values read from files go into one-line messages and terminal tables through these
// helpers: control characters, line and paragraph separators and bidirectional overrides are
// escaped (a name holding "\n" cannot split an error in two, nor reorder a terminal line), and long
// ones are cut in the middle with their length said, so a 10-million-character name prints ~100.

/** Longest name (in characters) a message or table shows whole. */
export const SHOWN_CHARS = 96;

// C0 and C1 controls, DEL, U+2028/2029, bidi embeddings/overrides/isolates, BOM, lone surrogates.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const hex4 = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
const SHORT: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

/** `s` with unsafe characters escaped (`\n`, `\u202e`, …) and backslashes doubled; no quotes added. */
export function escapeText(s: string): string {
  return escapeUnsafe(s.replace(/\\/g, '\\\\'));
}

/** `s` with only the unsafe characters escaped (for text that is already JSON). */
function escapeUnsafe(s: string): string {
  return s.replace(UNSAFE, (c) => SHORT[c] ?? hex4(c));
}

/** The first and last characters of `s` around "…" when it is longer than `max`; a cut never splits a
 *  surrogate pair. */
function elide(s: string, max: number): { text: string; cut: boolean } {
  if (s.length <= max) return { text: s, cut: false };
  const half = Math.max(1, Math.floor((max - 1) / 2));
  let head = half;
  let tail = s.length - half;
  if (/[\ud800-\udbff]/.test(s[head - 1] ?? '')) head--;
  if (/[\udc00-\udfff]/.test(s[tail] ?? '')) tail++;
  return { text: `${s.slice(0, head)}…${s.slice(tail)}`, cut: true };
}

/** A name from a file for a table cell: escaped, and elided beyond `max` characters. */
export function displayName(name: string, max = SHOWN_CHARS): string {
  const { text, cut } = elide(name, max);
  return escapeText(text) + (cut ? ` (${name.length} chars)` : '');
}

/** A name from a file for a message: `"name"` escaped (and elided, with its length) — always one line. */
export function quoteName(name: string, max = SHOWN_CHARS): string {
  const { text, cut } = elide(name, max);
  return `"${escapeText(text).replace(/"/g, '\\"')}"${cut ? ` (${name.length} chars)` : ''}`;
}

/** Any value from a file (a shape, a dtype, a config entry) for a message: JSON, one line, at most
 *  `max` characters (elided in the middle). */
export function showValue(value: unknown, max = SHOWN_CHARS): string {
  let json: string;
  try {
    json = JSON.stringify(value) ?? String(value);
  } catch {
    json = String(value);
  }
  const { text, cut } = elide(json, max);
  return escapeUnsafe(text) + (cut ? ` (${json.length} chars)` : '');
}
