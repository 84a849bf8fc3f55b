// One self-contained HTML page: inline SVG figures and tables, inline CSS, no scripts, no URLs.

export interface Section {
  heading: string;
  /** paragraphs of plain text */
  notes?: string[];
  /** SVG markup, inlined as is */
  figures: string[];
  /** header + rows, rendered as an HTML table */
  table?: { header: string[]; rows: string[][] };
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const CSS = `body{font-family:sans-serif;margin:24px;color:#222;max-width:1400px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ccc}
figure{display:inline-block;margin:8px 16px 8px 0;vertical-align:top}
table{border-collapse:collapse;font-size:13px;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}p{font-size:14px}`;

function tableHtml(t: NonNullable<Section['table']>): string {
  const head = `<tr>${t.header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`;
  const body = t.rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table>\n${head}\n${body}\n</table>`;
}

export function renderPage(title: string, intro: string[], sections: readonly Section[]): string {
  const parts = sections.map((s) =>
    [
      `<section><h2>${escapeHtml(s.heading)}</h2>`,
      ...(s.notes ?? []).map((n) => `<p>${escapeHtml(n)}</p>`),
      s.table ? tableHtml(s.table) : '',
      ...s.figures.map((svg) => `<figure>${svg}</figure>`),
      '</section>',
    ].join('\n'),
  );
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${CSS}</style></head>
<body><h1>${escapeHtml(title)}</h1>
${intro.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n')}
${parts.join('\n')}
</body></html>
`;
}
