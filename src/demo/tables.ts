// The demo's terminal tables: one architecture's six experiments side by side.
import type { SweepResults } from '../sweep/types.js';
import { midRow } from '../report/plots.js';
import { cellTable, num, type Cell } from '../report/table.js';
import type { ExperimentKind } from './plan.js';

export type ArchResults = Partial<Record<ExperimentKind, SweepResults>>;

/** The pretraining series in table order: full pretraining, short, none (the control). */
const SERIES: [ExperimentKind, string][] = [
  ['finetuned', 'full'],
  ['short', 'short'],
  ['control', 'none'],
];

const shortLayer = (l: string): string => l.replace(/^encoder\.layers\./, '');
const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
const dists = (r: SweepResults, k: number): number[] => r.layers.map((l) => r.rows[k].layers[l].dist_alpha_int);

/** Per layer, for each pretraining length: dist_alpha_int at α ≈ 0.5 beside the baseline dist_A_B. */
export function ctlTable(r: ArchResults): string {
  const series = SERIES.filter(([k]) => r[k]);
  if (series.length === 0) return '';
  const layers = (r[series[0][0]] as SweepResults).layers;
  const header = ['layer', ...series.flatMap(([, name]) => [`${name}: dist_int`, `${name}: dist_A_B`])];
  const rows: Cell[][] = layers.map((l) => [
    shortLayer(l),
    ...series.flatMap(([k]) => {
      const res = r[k] as SweepResults;
      return [midRow(res).layers[l]?.dist_alpha_int, res.baseline?.[l]?.dist_A_B];
    }),
  ]);
  const alpha = midRow(r[series[0][0]] as SweepResults).alpha;
  return `CTL per layer at α = ${alpha} (pretraining: full = ft_a↔ft_b, short, none = control from a shared random init)\n${cellTable(header, rows)}`;
}

/** Loss and error along the interpolation path, and the barriers, for each pretraining length. */
export function pathTable(r: ArchResults): string {
  const series = SERIES.filter(([k]) => r[k]?.rows.some((row) => row.loss !== undefined));
  if (series.length === 0) return '';
  const base = r[series[0][0]] as SweepResults;
  const header = ['α', ...series.flatMap(([, name]) => [`${name}: loss`, `${name}: error`])];
  const rows: Cell[][] = base.rows.map((row, k) => [
    String(row.alpha),
    ...series.flatMap(([kind]) => {
      const q = (r[kind] as SweepResults).rows[k];
      return [q.loss, q.accuracy === undefined ? undefined : 1 - q.accuracy];
    }),
  ]);
  const barrierRows: Cell[][] = series.map(([kind, name]) => {
    const b = (r[kind] as SweepResults).barrier;
    return [name, b?.loss.midpoint, b?.loss.weighted, b?.error.midpoint, b?.error.weighted];
  });
  return [
    'Loss and error along θ_α = α θ_A + (1−α) θ_B (evaluated on half task A, half task B)',
    cellTable(header, rows),
    '',
    'Barriers (max over α; midpoint: L(α) − ½(L_A + L_B); weighted: L(α) − (α L_A + (1−α) L_B))',
    cellTable(['pretraining', 'loss midpoint', 'loss weighted', 'error midpoint', 'error weighted'], barrierRows),
  ].join('\n');
}

/** Task addition and negation: accuracy and dist_alpha_int (mean and max over layers) per λ. */
export function arithmeticTable(r: ArchResults): string {
  const add = r.add;
  const neg = r.negate;
  if (!add || !neg) return '';
  const rows: Cell[][] = add.rows.map((row, k) => {
    const n = neg.rows[k];
    return [String(row.lambda), row.accuracy, mean(dists(add, k)), Math.max(...dists(add, k)), n?.accuracy, n ? mean(dists(neg, k)) : undefined, n ? Math.max(...dists(neg, k)) : undefined];
  });
  return [
    'Task arithmetic in feature space: addition pre + λ(τ_A + τ_B) on A∪B; negation pre − λ τ_A on upright digits (the control task)',
    cellTable(['λ', 'add: acc', 'add: dist mean', 'add: dist max', 'negate: acc upright', 'negate: dist mean', 'negate: dist max'], rows),
  ].join('\n');
}

/** Model averaging (weights) against the logit ensemble, on task A. */
export function averageTable(r: ArchResults): string {
  const avg = r.average;
  if (!avg) return '';
  const basis = (avg.basis ?? []).map((m, j) => [`hp_${j + 1}`, m.accuracy, m.loss] as Cell[]);
  const row = avg.rows[0];
  const rows: Cell[][] = [...basis, ['averaged weights', row.accuracy, row.loss], ['logit ensemble', avg.ensemble?.accuracy, avg.ensemble?.loss]];
  const perLayer = avg.layers.map((l) => `${shortLayer(l)} ${num(row.layers[l].dist_alpha_int)}`).join(', ');
  return [
    'Model averaging vs the logit ensemble (task A, finetuned with lr 3e-4 / 5e-4 / 8e-4)',
    cellTable(['model', 'accuracy', 'loss'], rows),
    `dist_alpha_int of the averaged model vs averaged features: ${perLayer}`,
  ].join('\n');
}

/** All tables of one architecture. */
export function archTables(arch: string, r: ArchResults): string {
  const parts = [ctlTable(r), pathTable(r), arithmeticTable(r), averageTable(r)].filter((s) => s !== '');
  return `══ ${arch} ══\n\n${parts.join('\n\n')}\n`;
}
