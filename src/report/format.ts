// Plain-text table layout for the terminal (sweep tables, inspect, features).

/** Columns padded to their widest cell, two spaces apart; `right` lists right-aligned column indices. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[], right: readonly number[] = []): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    widths
      .map((w, c) => (right.includes(c) ? (cells[c] ?? '').padStart(w) : (cells[c] ?? '').padEnd(w)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
