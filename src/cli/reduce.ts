// ctlkit reduce: the partials of a sharded sweep (ctlkit sweep … --shard K/N --out partK.json) →
// the results.json and CSV the unsharded sweep writes, after checking the parts belong to one
// sweep and cover every sample (and row) exactly once.
import type { Command } from 'commander';
import { writeFileAtomic } from '../io/atomic.js';
import { resultsToCsv } from '../sweep/csv.js';
import { readPartial } from '../sweep/partial.js';
import { reduceSweeps } from '../sweep/reduce.js';
import { resultsTable } from './sweep.js';
import { writeJsonAtomic } from './util.js';

interface ReduceArgs {
  out?: string;
  csv?: string;
}

export function register(program: Command): void {
  program
    .command('reduce')
    .description('combine the partials of a sharded sweep into its results.json / CSV')
    .argument('<parts...>', 'partials written by ctlkit sweep … --shard K/N (and/or --rows K/N) --out part.json')
    .option('--out <file>', 'write results.json')
    .option('--csv <file>', 'write one CSV line per (row, layer)')
    .addHelpText('after', '\nExample:\n  ctlkit reduce parts/part_*.json --out results.json --csv results.csv')
    .action(async (files: string[], a: ReduceArgs) => {
      const parts = [];
      for (const f of files) parts.push(await readPartial(f));
      const results = reduceSweeps(parts, { names: files });
      if (a.out) await writeJsonAtomic(a.out, results);
      if (a.csv) await writeFileAtomic(a.csv, resultsToCsv(results));
      console.log(resultsTable(results));
    });
}
