// Vega-Lite specs for sweep results, compiled and rendered to SVG inside Node (no browser, no network).
import * as vl from 'vega-lite';
import * as vega from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import type { SweepResults, SweepRow } from '../sweep/types.js';
import type { ReportEntry } from './entry.js';

const WIDTH = 360;
const HEIGHT = 220;

/** Compiles a Vega-Lite spec and renders it headless to an SVG string (namespace attributes stripped
 *  so the page holds no URL; inline SVG in HTML needs none). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    return svg.replace(/ xmlns(:xlink)?="[^"]*"/g, '');
  } finally {
    view.finalize();
  }
}

/** The x coordinate of a row: α (interpolate), λ (task arithmetic, negate), else the row index. */
export function rowParam(results: SweepResults): { title: string; value: (row: SweepRow, k: number) => number } {
  if (results.rows.some((r) => r.alpha !== undefined)) return { title: 'α', value: (r, k) => r.alpha ?? k };
  if (results.rows.some((r) => r.lambda !== undefined)) return { title: 'λ', value: (r, k) => r.lambda ?? k };
  return { title: 'row', value: (_r, k) => k };
}

const fmt = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(3).replace(/0+$/, ''));

/** Heatmap of dist_alpha_int: one rect per (layer, row). */
export function heatmapSpec(results: SweepResults, title: string): TopLevelSpec {
  const p = rowParam(results);
  const values = results.rows.flatMap((row, k) =>
    results.layers.map((layer) => ({ layer, x: fmt(p.value(row, k)), dist: row.layers[layer]?.dist_alpha_int ?? null })),
  );
  const xs = results.rows.map((row, k) => fmt(p.value(row, k)));
  return {
    title,
    width: Math.max(WIDTH, 28 * xs.length),
    height: Math.max(120, 22 * results.layers.length),
    data: { values },
    mark: { type: 'rect', tooltip: true },
    encoding: {
      x: { field: 'x', type: 'ordinal', sort: xs, title: p.title, axis: { labelAngle: 0 } },
      y: { field: 'layer', type: 'ordinal', sort: results.layers, title: 'layer', axis: { labelLimit: 260 } },
      color: { field: 'dist', type: 'quantitative', title: 'dist_alpha_int', scale: { scheme: 'viridis', zero: true } },
    },
  };
}

/** Loss and error along the path, the straight line between the end points, and the barrier's α. */
export function lossErrorSpec(results: SweepResults, title: string): TopLevelSpec | null {
  const p = rowParam(results);
  const rows = results.rows
    .map((row, k) => ({ x: p.value(row, k), loss: row.loss, error: row.accuracy === undefined ? undefined : 1 - row.accuracy }))
    .sort((a, b) => a.x - b.x);
  if (rows.length < 2 || !rows.some((r) => r.loss !== undefined)) return null;
  const panel = (metric: 'loss' | 'error'): object => {
    const pts = rows.filter((r) => r[metric] !== undefined).map((r) => ({ x: r.x, y: r[metric] as number }));
    const layers: object[] = [
      {
        data: { values: pts },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'x', type: 'quantitative', title: p.title },
          y: { field: 'y', type: 'quantitative', title: metric },
        },
      },
    ];
    const barrier = results.barrier?.[metric];
    const ends = endPoints(pts);
    if (barrier && ends) {
      // the weighted barrier's reference: L_B at α = 0, L_A at α = 1, linear in between
      layers.push({
        data: { values: [{ x: 0, y: ends.b }, { x: 1, y: ends.a }] },
        mark: { type: 'line', strokeDash: [4, 4], color: 'gray' },
        encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
      });
      const line = (x: number): number => ends.b + (ends.a - ends.b) * x;
      const peak = pts.reduce((best, q) => (q.y - line(q.x) > best.y - line(best.x) ? q : best), pts[0]);
      if (peak.y - line(peak.x) > 0) {
        // the weighted barrier: from the chord up to the path where the gap is largest
        layers.push({
          data: { values: [{ x: peak.x, y0: line(peak.x), y1: peak.y }] },
          mark: { type: 'rule', color: 'firebrick', strokeWidth: 2 },
          encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y0', type: 'quantitative' }, y2: { field: 'y1' } },
        });
      }
    }
    const title = barrier ? { text: metric, subtitle: `barrier: weighted ${barrier.weighted.toFixed(3)}, midpoint ${barrier.midpoint.toFixed(3)}`, subtitleColor: 'firebrick' } : metric;
    return { title, width: WIDTH / 1.2, height: HEIGHT, layer: layers };
  };
  return { title, hconcat: [panel('loss'), panel('error')] } as unknown as TopLevelSpec;
}

function endPoints(pts: { x: number; y: number }[]): { a: number; b: number } | null {
  const a = pts.find((q) => q.x === 1);
  const b = pts.find((q) => q.x === 0);
  return a && b ? { a: a.y, b: b.y } : null;
}

/** coef_alpha_int against the row parameter, one line per layer. */
export function coefSpec(results: SweepResults, title: string): TopLevelSpec {
  const p = rowParam(results);
  const values = results.rows.flatMap((row, k) =>
    results.layers.map((layer) => ({ layer, x: p.value(row, k), coef: row.layers[layer]?.coef_alpha_int ?? null })),
  );
  return {
    title,
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: p.title },
      y: { field: 'coef', type: 'quantitative', title: 'coef_alpha_int', scale: { zero: false } },
      color: { field: 'layer', type: 'nominal', sort: results.layers, title: 'layer', legend: { labelLimit: 260 } },
    },
  };
}

/** The row nearest α = 0.5 (or the middle row when there is no α). */
export function midRow(results: SweepResults): SweepRow {
  const withAlpha = results.rows.filter((r) => r.alpha !== undefined);
  if (withAlpha.length === 0) return results.rows[Math.floor(results.rows.length / 2)];
  return withAlpha.reduce((best, r) => (Math.abs((r.alpha as number) - 0.5) < Math.abs((best.alpha as number) - 0.5) ? r : best));
}

/** Per layer: dist_alpha_int at α ≈ 0.5 (solid) and the baseline dist_A_B (pale), for each interpolation entry. */
export function compareSpec(entries: readonly ReportEntry[], title: string): TopLevelSpec {
  const layers = entries[0].results.layers;
  const alpha = midRow(entries[0].results).alpha;
  const intName = `dist_alpha_int (α=${fmt(alpha ?? NaN)})`;
  const pairs = entries.map((e) => e.short ?? e.label);
  const values = entries.flatMap((e, i) => {
    const row = midRow(e.results);
    return layers.flatMap((layer) => [
      { layer, pair: pairs[i], metric: intName, series: `${i}a`, dist: row.layers[layer]?.dist_alpha_int ?? null },
      { layer, pair: pairs[i], metric: 'dist_A_B', series: `${i}b`, dist: e.results.baseline?.[layer]?.dist_A_B ?? null },
    ]);
  });
  return {
    title,
    width: Math.max(WIDTH, 16 * layers.length * entries.length * 2),
    height: HEIGHT,
    data: { values },
    mark: { type: 'bar', tooltip: true },
    encoding: {
      x: { field: 'layer', type: 'ordinal', sort: layers, title: 'layer', axis: { labelAngle: -25, labelLimit: 240 } },
      xOffset: { field: 'series', type: 'nominal' },
      y: { field: 'dist', type: 'quantitative', title: 'dist' },
      color: { field: 'pair', type: 'nominal', sort: pairs, title: 'models', legend: { labelLimit: 400 } },
      opacity: { field: 'metric', type: 'ordinal', sort: [intName, 'dist_A_B'], title: 'metric', scale: { domain: [intName, 'dist_A_B'], range: [1, 0.35] }, legend: { labelLimit: 400 } },
    },
  };
}
