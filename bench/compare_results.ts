// Per-layer differences between two sweeps of the same matrix (e.g. --compute f32 and bf16): for each
// layer and metric, the largest |b − a| over the rows, and that over the largest |a| (the metric's
// scale at that layer: relative differences of values near zero say nothing). A markdown table.
// Usage: node dist/bench/compare_results.js a.json b.json [metric,...]
import { readFileSync } from 'node:fs';
import type { SweepResults } from '../src/sweep/types.js';

const [fa, fb, list] = process.argv.slice(2);
if (!fa || !fb) throw new Error('usage: compare_results a.json b.json [metric,...]');
const read = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as SweepResults;
const a = read(fa), b = read(fb);
if (a.rows.length !== b.rows.length || a.layers.join() !== b.layers.join()) throw new Error(`${fa} and ${fb}: different rows or layers`);
const metrics = (list ?? 'dist_alpha_int,coef_alpha_int,dist_alpha_A').split(',');
type Fields = Record<string, number>;
const cell = (vs: [number, number][]): string => {
  const scale = Math.max(...vs.map(([x]) => Math.abs(x))), diff = Math.max(...vs.map(([x, y]) => Math.abs(y - x)));
  return `${scale.toPrecision(3)} | ${diff.toPrecision(2)} | ${(diff / scale).toPrecision(2)}`;
};
console.log(`| layer | ${metrics.map((m) => `${m}: max abs | max Δ | Δ / max`).join(' | ')} | dist_A_B: value | Δ | Δ / value |`);
console.log(`|---|${metrics.map(() => '---|---|---|').join('')}---|---|---|`);
for (const l of a.layers) {
  const cols = metrics.map((m) => cell(a.rows.map((r, k) => [(r.layers[l] as unknown as Fields)[m], (b.rows[k].layers[l] as unknown as Fields)[m]])));
  const base = a.baseline && b.baseline ? cell([[(a.baseline[l] as unknown as Fields).dist_A_B, (b.baseline[l] as unknown as Fields).dist_A_B]]) : ' | | ';
  console.log(`| ${l} | ${cols.join(' | ')} | ${base} |`);
}
const pairs = (key: 'loss' | 'accuracy') => a.rows.map((r, k) => [r[key] ?? NaN, b.rows[k][key] ?? NaN] as [number, number]);
if (a.rows[0].loss !== undefined) console.log(`\nloss: max Δ over rows ${Math.max(...pairs('loss').map(([x, y]) => Math.abs(y - x))).toPrecision(2)}; accuracy: max Δ ${Math.max(...pairs('accuracy').map(([x, y]) => Math.abs(y - x))).toPrecision(2)} (of ${a.samples} samples)`);
