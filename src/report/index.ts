// renderReport: sweep results → one self-contained index.html (Vega-Lite plots rendered to inline SVG).
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import type { SweepResults } from '../sweep/types.js';
import { renderPage, type Section } from './html.js';
import type { ReportEntry } from './entry.js';
import { coefSpec, compareSpec, heatmapSpec, lossErrorSpec, renderSvg } from './plots.js';
import { cellText, layerSummary, num } from './table.js';

export type { ReportEntry } from './entry.js';

export interface ReportOptions {
  title?: string;
  /** paragraphs shown under the title */
  intro?: string[];
}

async function entrySection({ label, results }: ReportEntry): Promise<Section> {
  const figures = [await renderSvg(heatmapSpec(results, `${label}: dist_alpha_int per layer`))];
  const lossError = lossErrorSpec(results, `${label}: loss and error along the path`);
  if (lossError) figures.push(await renderSvg(lossError));
  if (results.rows.length > 1) figures.push(await renderSvg(coefSpec(results, `${label}: coef_alpha_int per layer`)));
  const summary = layerSummary(results);
  const notes = [
    `${results.mode} sweep of ${results.architecture}, ${results.samples} samples, ${results.rows.length} rows, backend ${results.backend}; models: ${results.models.join(', ')}.`,
  ];
  if (results.barrier) {
    const b = results.barrier;
    notes.push(`Barriers: loss midpoint ${num(b.loss.midpoint)}, weighted ${num(b.loss.weighted)}; error midpoint ${num(b.error.midpoint)}, weighted ${num(b.error.weighted)}.`);
  }
  if (results.ensemble) {
    const avg = results.rows[0];
    const basis = (results.basis ?? []).map((m, j) => `model ${j + 1} ${num(m.accuracy, 3)}`).join(', ');
    notes.push(`Accuracy: averaged weights ${num(avg?.accuracy, 3)}, logit ensemble ${num(results.ensemble.accuracy, 3)}; ${basis}.`);
  }
  return { heading: label, notes, figures, table: { header: summary.header, rows: summary.rows.map((r) => r.map((c) => cellText(c))) } };
}

/** Groups interpolation results of one architecture with the same layers (e.g. finetuned vs control). */
function comparisons(entries: readonly ReportEntry[]): ReportEntry[][] {
  const groups = new Map<string, ReportEntry[]>();
  for (const e of entries) {
    if (e.results.mode !== 'interpolate' || !e.results.baseline) continue;
    const key = `${e.results.architecture}|${e.results.layers.join(',')}`;
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  return [...groups.values()].filter((g) => g.length >= 2);
}

/** Writes `<outDir>/index.html` (temporary file, then rename) and returns its path. */
export async function renderReport(
  input: SweepResults | readonly ReportEntry[],
  outDir: string,
  opts: ReportOptions = {},
): Promise<string> {
  const entries: readonly ReportEntry[] = Array.isArray(input)
    ? input
    : [{ label: `${(input as SweepResults).architecture} ${(input as SweepResults).mode}`, results: input as SweepResults }];
  if (entries.length === 0) throw new Error('renderReport: no results to render');
  const sections: Section[] = [];
  for (const group of comparisons(entries)) {
    const arch = group[0].results.architecture;
    sections.push({
      heading: `${arch}: ${group.map((e) => e.short ?? e.label).join(' vs ')}, per layer`,
      notes: ['Per layer: dist_alpha_int at the row nearest α = 0.5 (CTL holds when it is small) beside the baseline dist_A_B (how different the two end models are).'],
      figures: [await renderSvg(compareSpec(group, `${arch}: dist per layer`))],
    });
  }
  for (const e of entries) sections.push(await entrySection(e));
  const html = renderPage(opts.title ?? 'ctlkit report', opts.intro ?? [], sections);
  await mkdir(outDir, { recursive: true });
  const file = path.join(outDir, 'index.html');
  await writeFileAtomic(file, html);
  return file;
}
