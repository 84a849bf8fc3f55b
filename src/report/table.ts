// Terminal tables of sweep results.
import { formatTable } from './format.js';
import type { SweepResults } from '../sweep/types.js';
import { midRow } from './plots.js';

export type Cell = string | number | null | undefined;

/** A number with `digits` decimals; null/undefined/NaN as '—'. */
export function num(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  const s = v.toFixed(digits);
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s; // no "-0.0000" for tiny negative values
}

/** One cell as text: a number printed with `num`, anything else as is ('—' when absent). */
export function cellText(c: Cell, digits = 4): string {
  return typeof c === 'number' ? num(c, digits) : String(c ?? '—');
}

/** formatTable over mixed cells: numbers printed with `num` and right-aligned. */
export function cellTable(header: readonly string[], rows: readonly (readonly Cell[])[], digits = 4): string {
  const right = header.map((_, c) => c).filter((c) => rows.some((r) => typeof r[c] === 'number'));
  const text = rows.map((r) => header.map((_, c) => cellText(r[c], digits)));
  return formatTable(header, text, right);
}

/** Per layer: the baseline dist_A_B (interpolate mode) and dist/coef/cos at the middle row. */
export function layerSummary(results: SweepResults): { header: string[]; rows: Cell[][] } {
  const row = midRow(results);
  const at = row.alpha !== undefined ? `α=${row.alpha}` : row.lambda !== undefined ? `λ=${row.lambda}` : 'row';
  const header = ['layer', ...(results.baseline ? ['dist_A_B'] : []), `dist_alpha_int (${at})`, 'coef_alpha_int', 'cos (mean)'];
  const rows = results.layers.map((layer) => {
    const m = row.layers[layer];
    return [layer, ...(results.baseline ? [results.baseline[layer]?.dist_A_B] : []), m?.dist_alpha_int, m?.coef_alpha_int, m?.cos_alpha_int_over_samples_mean];
  });
  return { header, rows };
}
