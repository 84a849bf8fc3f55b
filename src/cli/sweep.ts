// ctlkit sweep: per-layer CTL metrics (and loss/accuracy with labels) for every row of a
// coefficient matrix over a basis of checkpoints. JSON to --out, CSV to --csv, a table to stdout.
import type { Command } from 'commander';
import { createBackend, type BackendChoice } from '../backends/index.js';
import { writeFileAtomic } from '../io/atomic.js';
import { allComparisonsPlan } from '../sweep/plan.js';
import { runSweep, type SweepProgress, type SweepSpec } from '../sweep/runner.js';
import type { SweepResults } from '../sweep/types.js';
import { addBasisOptions, matrixFromArgs, type BasisArgs } from './basis_args.js';
import { formatTable } from '../report/format.js';
import { parseIntArg, parseList, writeJsonAtomic } from './util.js';
import { resultsToCsv } from '../sweep/csv.js';
import { openCheckpoint } from '../io/checkpoint.js';
import { loadModelConfig } from '../models/config.js';
import type { Checkpoint } from '../io/types.js';
import { buildModel } from '../models/index.js';
import { checkCompatible, closeAll } from '../io/checkpoint_set.js';
import { formatRange, parseShard, type ShardSpec } from '../sweep/shard.js';
import type { SweepPartial } from '../sweep/partial.js';
import { METRIC_NAMES, parseMetrics } from '../metrics/metric_names.js';
import { checkRowCheckpoint, withCheckpointRows, type CheckpointRowSpec } from '../sweep/checkpoint_rows.js';
import { MERGED_SYNTAX, parseMergedRow } from './checkpoint_row_args.js';

interface SweepArgs extends BasisArgs {
  alphas?: string;
  lambdas?: string;
  inputs: string;
  inputKey?: string;
  labels?: string;
  labelKey?: string;
  samples?: string;
  seed: string;
  layers?: string;
  config?: string;
  head?: string;
  backend: string;
  batch: string;
  out?: string;
  csv?: string;
  compare: string;
  shard?: string;
  rows?: string;
  metric?: string;
  maxMemory?: string;
  merged: string[];
  compute: string;
}

/** A byte count: an integer with an optional K/M/G/T suffix (powers of 1024, optional 'iB'/'B'). */
export function parseBytes(value: string, what: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(value);
  if (!m) throw new Error(`${what}: expected a size like 8G, 512MiB or 1073741824, got '${value}'`);
  const scale = 1024 ** ' kmgt'.indexOf((m[2] || ' ').toLowerCase());
  const bytes = Number(m[1]) * scale;
  if (!(bytes > 0)) throw new Error(`${what}: must be positive, got '${value}'`);
  return bytes;
}

/** α / λ grid when --alphas / --lambdas is absent. */
const DEFAULT_GRID = '0:1:11';

const fmt = (v: number | undefined): string => (v === undefined ? '' : v.toPrecision(4));

/** Compact terminal table: one line per row, dist_alpha_int per layer (mean/max beyond 6 layers). */
export function resultsTable(r: SweepResults): string {
  const wide = r.layers.length <= 6;
  const header = ['row', 'alpha/lambda', 'loss', 'acc', ...(wide ? r.layers.map((l) => `dist ${l}`) : ['dist mean', 'dist max'])];
  const rows = r.rows.map((row, k) => {
    // several metrics: the table shows the first one
    const first = r.metrics?.[0];
    const d = r.layers.map((l) => (first ? (row.layers[l] as unknown as { metrics: Record<string, { dist_alpha_int: number }> }).metrics[first] : row.layers[l]).dist_alpha_int);
    const dists = wide ? d.map(fmt) : [fmt(d.reduce((s, x) => s + x, 0) / d.length), fmt(Math.max(...d))];
    return [row.name === undefined ? String(k) : `${k} ${row.name}`, String(row.alpha ?? row.lambda ?? ''), fmt(row.loss), fmt(row.accuracy), ...dists];
  });
  const lines = [formatTable(header, rows, header.map((_, i) => i).slice(1))];
  if (r.barrier) lines.push(`barrier: loss midpoint ${fmt(r.barrier.loss.midpoint)} weighted ${fmt(r.barrier.loss.weighted)}; error midpoint ${fmt(r.barrier.error.midpoint)} weighted ${fmt(r.barrier.error.weighted)}`);
  if (r.ensemble) {
    const avg = r.rows[0];
    lines.push(`averaged model: loss ${fmt(avg.loss)} accuracy ${fmt(avg.accuracy)}; logit ensemble: loss ${fmt(r.ensemble.loss)} accuracy ${fmt(r.ensemble.accuracy)}`);
    r.basis?.forEach((b, j) => lines.push(`  basis ${r.models[j]}: loss ${fmt(b.loss)} accuracy ${fmt(b.accuracy)}`));
  }
  if (r.metric || r.metrics) lines.push(`metric: ${r.metric ?? r.metrics!.join(', ')}${r.metrics ? ` (table: ${r.metrics[0]})` : ''}`);
  lines.push(`${r.samples} samples, ${r.backend} backend, ${r.elapsed_seconds.toFixed(2)} s, peak RSS ${(r.peak_rss_bytes / 2 ** 20).toFixed(0)} MiB`);
  return lines.join('\n');
}

/** --shard / --rows: the share, checked with the options it needs (a partial goes to --out only). */
function shareFromArgs(a: SweepArgs): { shard?: ShardSpec; rows?: ShardSpec } | undefined {
  if (a.shard === undefined && a.rows === undefined) return undefined;
  const flag = a.shard !== undefined ? '--shard' : '--rows';
  if (a.shard?.startsWith('auto') && a.rows?.startsWith('auto')) throw new Error('--shard auto/N and --rows auto/N: one array index cannot give both; give one of them as K/N');
  if (!a.out) throw new Error(`${flag}: missing --out <part.json> (a shard writes a partial for ctlkit reduce)`);
  if (a.csv) throw new Error(`${flag}: --csv goes with the unsharded sweep or with ctlkit reduce, not with a shard`);
  return {
    shard: a.shard === undefined ? undefined : parseShard(a.shard, '--shard'),
    rows: a.rows === undefined ? undefined : parseShard(a.rows, '--rows'),
  };
}

function progressPrinter(): ((p: SweepProgress) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  return (p) => {
    const layer = (p.layer ? ` ${p.layer}` : '') + (p.row !== undefined ? ` row ${p.row}` : '');
    process.stderr.write(`\r\x1b[K${p.phase} ${p.samplesDone}/${p.samplesTotal}${layer}`);
    if (p.phase === 'done') process.stderr.write('\n');
  };
}

export function register(program: Command): void {
  const cmd = program
    .command('sweep')
    .description('per-layer Cross-Task Linearity metrics for weight combinations of checkpoints');
  addBasisOptions(cmd)
    .option('--alphas <grid>', `interpolation grid: start:stop:count or a comma list (default: ${DEFAULT_GRID})`)
    .option('--lambdas <grid>', `task arithmetic / negation grid (default: ${DEFAULT_GRID})`)
    .requiredOption('--inputs <file>', 'inputs: safetensors (key --input-key) or .npy')
    .option('--input-key <key>', 'tensor name of the inputs', 'inputs')
    .option('--labels <file>', 'labels file (default: the labels in the inputs file, if any)')
    .option('--label-key <key>', 'tensor name of the labels; when given, the labels must exist (default: "labels" if present)')
    .option('--samples <n>', 'use a deterministic subsample of n inputs')
    .option('--seed <s>', 'seed of the subsample', '0')
    .option('--layers <hooks>', 'comma-separated hooks (default: all)')
    .option('--config <file>', 'model config.json (default: config.json beside the first model)')
    .option('--head <file>', 'zero-shot head (task_vectors): weight [classes, embed], optional bias; adds the hook logits')
    .option('--backend <name>', 'reference | native | webgpu | auto', 'auto')
    .option('--batch <n>', 'samples per chunk', '32')
    .option('--compute <mode>', 'f32 | bf16: bf16 rounds the inputs of the native backend\'s linear layers and attention products to BF16 and sums in float32 (AVX512-BF16; convolutions stay float32; README "BF16 compute")', 'f32')
    .option('--out <file>', 'write results.json')
    .option('--csv <file>', 'write one CSV line per (row, layer)')
    .option('--compare <set>', "default: the mode's official comparisons; all: each row vs its own combination and every basis model, every basis pair", 'default')
    .option('--metric <names>', `dissimilarity (a comma list computes several in one pass): ${METRIC_NAMES.join(' | ')} (default: cosine)`)
    .option('--max-memory <bytes>', 'host memory the pooled metrics (lin_cka, lin_cka_prime, procrustes) may hold, e.g. 8G (default: half of RAM)')
    .option('--shard <K/N>', 'run shard K of N (0-based) of the samples, in whole chunks of --batch, and write a partial to --out for ctlkit reduce; auto/N reads $SLURM_ARRAY_TASK_ID or $JOB_COMPLETION_INDEX')
    .option('--rows <K/N>', 'run row shard K of N of the matrix rows (with or without --shard) and write a partial')
    .option('--merged <NAME=PATH:TARGET>', `a row whose weights are read from a checkpoint (e.g. a TIES or DARE merge), compared with the features of the linear combination TARGET of the basis: ${MERGED_SYNTAX}; repeatable`, (v: string, prev: string[]) => [...prev, v], [] as string[])
    .addHelpText('after', '\nExamples:\n  ctlkit sweep --interpolate ft_a.safetensors ft_b.safetensors --alphas 0:1:11 --inputs data.safetensors --out results.json\n  ctlkit sweep --task-arithmetic --base pre.safetensors --tasks ft_a.safetensors ft_b.safetensors --lambdas 0:1:6 --inputs data.safetensors --csv ta.csv\n  ctlkit sweep --task-arithmetic --base pre.safetensors --tasks ft_a.safetensors ft_b.safetensors --lambdas 0.5 --merged ties=ties_out:lambda=0.5 --inputs data.safetensors\n  ctlkit sweep --interpolate ft_a.safetensors ft_b.safetensors --inputs data.safetensors --shard $SLURM_ARRAY_TASK_ID/8 --out parts/part_$SLURM_ARRAY_TASK_ID.json\n  ctlkit reduce parts/part_*.json --out results.json')
    .action(async (a: SweepArgs) => {
      // every argument is checked before the backend starts
      if (a.compare !== 'default' && a.compare !== 'all') throw new Error(`--compare: expected default or all, got '${a.compare}'`);
      const compute = parseCompute(a.compute, a.backend);
      const metrics = a.metric === undefined ? undefined : parseMetrics(a.metric);
      const maxMemory = a.maxMemory === undefined ? undefined : parseBytes(a.maxMemory, '--max-memory');
      const merged = a.merged.map(parseMergedRow);
      let matrix = matrixFromArgs(a, { flag: '--alphas', value: a.alphas }, { flag: '--lambdas', value: a.lambdas }, DEFAULT_GRID, { given: merged.length > 0 });
      if (a.compare === 'all') matrix.plan = allComparisonsPlan(matrix.m);
      try {
        matrix = withCheckpointRows(matrix, merged);
      } catch (e) {
        throw new Error(`--merged: ${(e as Error).message}`);
      }
      const spec: SweepSpec = {
        matrix,
        inputs: a.inputs,
        inputKey: a.inputKey,
        // an explicit --label-key makes the labels required, from the inputs file unless --labels
        labels: a.labels ?? (a.labelKey === undefined ? undefined : a.inputs),
        labelKey: a.labelKey,
        config: a.config,
        head: a.head,
        layers: a.layers ? parseList(a.layers, '--layers') : undefined,
        samples: a.samples === undefined ? undefined : parseIntArg(a.samples, '--samples', 1),
        seed: parseIntArg(a.seed, '--seed'),
        metrics,
      };
      const batch = parseIntArg(a.batch, '--batch', 1);
      await validateBasis(spec.matrix.basis, a.config, merged); // a bad checkpoint is reported before any backend starts
      const share = shareFromArgs(a);
      const backend = await createBackend(a.backend as BackendChoice, { compute });
      try {
        if (share) {
          const part = (await runSweep(spec, { backend, batch, maxMemory, onProgress: progressPrinter(), ...share })) as SweepPartial;
          await writeJsonAtomic(a.out!, part);
          const { samples, rows } = part.covers;
          console.log(`shard ${share.shard?.index ?? 0}/${share.shard?.count ?? 1}${share.rows ? ` rows ${share.rows.index}/${share.rows.count}` : ''}: samples ${formatRange(samples)} of ${part.identity.selection.selected}, rows ${formatRange(rows)}, ${part.backend} backend, ${part.elapsed_seconds.toFixed(2)} s; wrote ${a.out}`);
          return;
        }
        const results = await runSweep(spec, { backend, batch, maxMemory, onProgress: progressPrinter() });
        if (compute === 'bf16') results.compute = 'bf16';
        if (a.out) await writeJsonAtomic(a.out, results);
        if (a.csv) await writeFileAtomic(a.csv, resultsToCsv(results));
        console.log(resultsTable(results));
      } finally {
        await backend.dispose();
      }
    });
}

/** `--compute`: f32 (the default) or bf16, which only the native backend has. */
function parseCompute(value: string, backend: string): 'f32' | 'bf16' {
  if (value !== 'f32' && value !== 'bf16') throw new Error(`--compute: expected f32 or bf16, got '${value}'`);
  if (value === 'bf16' && backend !== 'native') throw new Error(`--compute bf16: only the native backend (this is --backend ${backend})`);
  return value;
}

/** Opens every basis checkpoint (headers only), checks they agree and builds the model, then closes
 *  them: what runSweep checks first, done before the backend is created, so an error on a bad
 *  checkpoint is not preceded by a GPU adapter probe's output. */
async function validateBasis(models: readonly string[], config: string | undefined, rows: readonly CheckpointRowSpec[]): Promise<void> {
  const ckpts: Checkpoint[] = [];
  try {
    for (const m of models) ckpts.push(await openCheckpoint(m));
    checkCompatible(ckpts);
    for (const r of rows) {
      const c = await openCheckpoint(r.path).catch((e: Error) => {
        throw new Error(`--merged ${r.name}: ${e.message}`);
      });
      ckpts.push(c);
      checkRowCheckpoint(ckpts[0], c, r.name);
    }
    buildModel(ckpts[0].tensors, await loadModelConfig(models[0], config), models[0]);
  } finally {
    await closeAll(ckpts);
  }
}
