// `ctlkit sweep --merged NAME=PATH:TARGET` (repeatable): a checkpoint row (sweep/checkpoint_rows.ts),
// its weights read from PATH (a file or an HF model folder, e.g. a `ctlkit merge` output), compared
// with TARGET: `lambda=L` (the task arithmetic / negate row at λ = L), `alpha=A` (the interpolate
// row at α = A), or `c1,c2,…` (one coefficient per basis model, in the basis's order).
import type { CheckpointRowSpec } from '../sweep/checkpoint_rows.js';

export const MERGED_SYNTAX = 'NAME=PATH:TARGET, TARGET = lambda=L, alpha=A or c1,c2,… (one per basis model)';

function number(text: string, what: string): number {
  const t = text.trim();
  const v = t === '' ? NaN : Number(t);
  if (!Number.isFinite(v)) throw new Error(`${what}: '${t}' is not a finite number`);
  return v;
}

/** One `--merged` value. The target is after the last ':' (a path may hold ':', a target never). */
export function parseMergedRow(spec: string): CheckpointRowSpec {
  const what = `--merged '${spec}'`;
  const eq = spec.indexOf('=');
  const colon = spec.lastIndexOf(':');
  if (eq <= 0 || colon <= eq + 1 || colon === spec.length - 1) throw new Error(`${what}: expected ${MERGED_SYNTAX}, e.g. ties=ties_out:lambda=0.5`);
  const name = spec.slice(0, eq).trim();
  if (name === '') throw new Error(`${what}: empty NAME before '='`);
  const path = spec.slice(eq + 1, colon);
  const target = spec.slice(colon + 1).trim();
  const keyed = /^(lambda|alpha)\s*=(.*)$/.exec(target);
  if (keyed) return { name, path, [keyed[1]]: number(keyed[2], `${what} ${keyed[1]}`) };
  if (/^[a-z_]+\s*=/i.test(target)) throw new Error(`${what}: unknown target '${target.split('=')[0].trim()}=' (expected lambda=L, alpha=A or c1,c2,…)`);
  return { name, path, coefficients: target.split(',').map((c) => number(c, `${what} coefficients`)) };
}
