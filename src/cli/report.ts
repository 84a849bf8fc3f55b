// ctlkit report results.json [more.json …] [--out dir]: one self-contained HTML page of the plots.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { renderReport, type ReportEntry } from '../report/index.js';
import { cellTable, layerSummary } from '../report/table.js';
import type { SweepResults } from '../sweep/types.js';

/** Reads a results.json and checks the fields the report draws from, naming the file on error. */
export async function readResults(file: string): Promise<SweepResults> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not a readable results JSON (${(e as Error).message})`);
  }
  const r = value as Partial<SweepResults>;
  const rowWithoutLayers = typeof r === 'object' && r !== null && Array.isArray(r.rows)
    ? r.rows.findIndex((row) => typeof row?.layers !== 'object' || row.layers === null) : -1;
  const problem =
    typeof r !== 'object' || r === null ? 'expected a JSON object'
    : !Array.isArray(r.layers) || r.layers.length === 0 ? "expected a non-empty 'layers' array"
    : !Array.isArray(r.rows) || r.rows.length === 0 ? "expected a non-empty 'rows' array"
    : typeof r.mode !== 'string' ? "expected a 'mode' string"
    : rowWithoutLayers >= 0 ? `row ${rowWithoutLayers} has no 'layers' object`
      : null;
  if (problem) throw new Error(`${file}: ${problem} (a results.json written by ctlkit sweep)`);
  return r as SweepResults;
}

export function register(program: Command): void {
  program
    .command('report')
    .description('render sweep results (results.json) as one self-contained HTML page with SVG plots')
    .argument('<results...>', 'results.json files written by ctlkit sweep (two interpolations of one architecture are also compared per layer)')
    .option('--out <dir>', 'output folder (index.html is written there)', 'ctl-report')
    .option('--title <text>', 'page title', 'ctlkit report')
    .addHelpText('after', '\nExample:\n  ctlkit report ft.json control.json --out ctl-report')
    .action(async (files: string[], opts: { out: string; title: string }) => {
      const entries: ReportEntry[] = [];
      for (const file of files) entries.push({ label: path.basename(file, '.json'), results: await readResults(file) });
      for (const e of entries) {
        const s = layerSummary(e.results);
        console.log(`${e.label} (${e.results.architecture}, ${e.results.mode})\n${cellTable(s.header, s.rows)}\n`);
      }
      console.log(`wrote ${await renderReport(entries, opts.out, { title: opts.title })}`);
    });
}
