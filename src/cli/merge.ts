// ctlkit merge: a mergekit YAML config (--config) into an HF model folder, or one weight combination
// (one row of a coefficient matrix) into a safetensors file, or into a folder when --out names one.
import fs from 'node:fs/promises';
import type { Command } from 'commander';
import { createBackend, type BackendChoice } from '../backends/index.js';
import type { FloatOutDType } from '../io/writer.js';
import { mergeCheckpoint } from '../merge/merge.js';
import { merge, type MergeRunOptions } from '../merge/run.js';
import { finishMerge } from '../merge/finish.js';
import { parseShard } from '../sweep/shard.js';
import { coefficientRow } from '../sweep/coefficients.js';
import { addBasisOptions, matrixFromArgs, type BasisArgs } from './basis_args.js';

interface MergeArgs extends BasisArgs {
  config?: string;
  alpha?: string;
  lambda?: string;
  row?: string;
  out: string;
  dtype?: string;
  backend: string;
  seed?: string;
  shardSize?: string;
  quiet?: boolean;
  tensors?: string;
  finish?: boolean;
}

function seedOf(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const v = Number(s);
  if (!/^\d+$/.test(s) || !Number.isSafeInteger(v) || v > 0xffffffff) throw new Error(`--seed: expected an integer in [0, 4294967295], got '${s}'`);
  return v;
}

async function runConfig(a: MergeArgs): Promise<void> {
  const text = await fs.readFile(a.config!, 'utf8').catch((e: Error) => { throw new Error(`--config ${a.config}: cannot read (${e.message})`); });
  const backend = a.backend === 'reference' ? 'reference' : a.backend === 'native' ? 'native' : 'auto';
  const opts: MergeRunOptions = {
    out: a.out, seed: seedOf(a.seed), shardSize: a.shardSize, backend, configName: a.config,
    dtype: a.dtype as MergeRunOptions['dtype'],
    tensors: a.tensors === undefined ? undefined : parseShard(a.tensors, '--tensors'),
    onProgress: a.quiet ? undefined : (p) => { if (process.stderr.isTTY) process.stderr.write(`\r${p.done}/${p.total} ${p.tensor}\x1b[K`); },
  };
  const r = await merge(text, opts);
  if (process.stderr.isTTY && !a.quiet) process.stderr.write('\r\x1b[K');
  const gb = (r.bytesRead + r.bytesWritten) / 1e9;
  const speed = `${gb.toFixed(2)} GB read+written in ${r.seconds.toFixed(2)} s (${(gb / r.seconds).toFixed(2)} GB/s)`;
  if (r.part) {
    const p = r.part;
    const what = p.files === 0 ? `no files (the merge writes ${p.of} file${p.of === 1 ? '' : 's'} at this --shard-size: a smaller one spreads it over more parts)` : `${p.files} of ${p.of} files, ${r.tensors} tensors (${r.native} native, ${r.reference} reference)`;
    console.log(`part ${p.index}/${p.count}: ${what}, ${r.dtype} → ${p.dir}; ${speed}. When every part is done: ctlkit merge --finish --out ${r.out}`);
    return;
  }
  console.log(`${r.out}: ${r.tensors} tensors (${r.native} native, ${r.reference} reference), ${r.dtype}, files ${r.files.join(', ')}; ${gb.toFixed(2)} GB read+written in ${r.seconds.toFixed(2)} s (${(gb / r.seconds).toFixed(2)} GB/s)`);
}

export function register(program: Command): void {
  const cmd = program.command('merge').description('merge checkpoints: a mergekit YAML config into an HF folder, or a weight combination into a file');
  addBasisOptions(cmd)
    .option('--config <merge.yml>', 'a mergekit config (merge_method, models, base_model, parameters, slices, dtype)')
    .option('--alpha <a>', 'interpolation weight of A: α θ_A + (1 − α) θ_B')
    .option('--lambda <l>', 'task arithmetic / negation scale')
    .option('--row <k>', 'with --coefficients: which matrix row to write (default: 0)')
    .requiredOption('--out <path>', 'output: a folder (HF layout), or a .safetensors file for the combination flags')
    .option('--dtype <dtype>', 'float storage dtype: F32 | F16 | BF16 (or bfloat16 …), any case (default: the config\'s, else the first model\'s)')
    .option('--seed <n>', 'seed of the DARE / DELLA random streams (default 0)')
    .option('--shard-size <size>', 'largest output shard, e.g. 5GB, 500MB (default 5GB)')
    .option('--tensors <K/N>', 'with --config: merge only part K of N of the output files (K 0-based, or auto/N: $SLURM_ARRAY_TASK_ID or $JOB_COMPLETION_INDEX) into OUT.ctlkit-parts/')
    .option('--finish', 'assemble OUT from the parts in OUT.ctlkit-parts/ once every --tensors K/N is done (takes only --out)')
    .option('--quiet', 'no progress line')
    .option('--backend <name>', 'auto | native | reference (--config); reference | native | webgpu | auto (combination flags)', 'auto')
    .addHelpText('after', '\nExamples:\n  ctlkit merge --config ties.yml --out merged/ --seed 1\n  ctlkit merge --config ties.yml --out merged/ --tensors $SLURM_ARRAY_TASK_ID/8   # then: ctlkit merge --finish --out merged/\n  ctlkit merge --average ft_a.safetensors ft_b.safetensors --out avg.safetensors\n  ctlkit merge --task-arithmetic --base pre.safetensors --tasks ft_a.safetensors ft_b.safetensors --lambda 0.4 --out ta/ --dtype F16')
    .action(async (a: MergeArgs) => {
      if (a.finish) {
        const stray = [a.config && '--config', a.tensors && '--tensors', a.seed && '--seed', a.shardSize && '--shard-size', a.dtype && '--dtype', a.interpolate && '--interpolate',
          a.average && '--average', a.taskArithmetic && '--task-arithmetic', a.coefficients && '--coefficients', a.alpha && '--alpha', a.lambda && '--lambda'].filter(Boolean);
        if (stray.length) throw new Error(`--finish: takes only --out (the parts hold the rest); drop ${stray.join(', ')}`);
        const r = await finishMerge(a.out);
        console.log(`${r.out}: ${r.tensors} tensors from ${r.parts} part${r.parts === 1 ? '' : 's'} (${r.placed === 'link' ? 'hard-linked' : 'copied'}), files ${r.files.join(', ')}`);
        return;
      }
      if (a.tensors !== undefined && !a.config) throw new Error('--tensors goes with --config (a merge of one huge model over N machines)');
      if (a.config) {
        const stray = [a.interpolate && '--interpolate', a.average && '--average', a.taskArithmetic && '--task-arithmetic', a.coefficients && '--coefficients', a.alpha && '--alpha', a.lambda && '--lambda'].filter(Boolean);
        if (stray.length) throw new Error(`--config: the config says what to merge; drop ${stray.join(', ')}`);
        return runConfig(a);
      }
      if ([a.alpha, a.lambda].some((v) => v?.includes(',') || v?.includes(':'))) {
        throw new Error('merge writes one model: --alpha / --lambda take a single number');
      }
      const matrix = matrixFromArgs(a, { flag: '--alpha', value: a.alpha }, { flag: '--lambda', value: a.lambda });
      if (a.row !== undefined && !a.coefficients) throw new Error('--row goes with --coefficients c.json');
      const k = Number(a.row ?? 0);
      if (!Number.isInteger(k) || k < 0 || k >= matrix.k) throw new Error(`--row: expected 0..${matrix.k - 1}, got '${a.row}'`);
      const coefficients = coefficientRow(matrix, k);
      if (!a.out.endsWith('.safetensors')) {
        // a folder: the same combination as a linear merge without normalization
        const models = matrix.basis.map((m, i) => ({ model: m, parameters: { weight: coefficients[i] } }));
        const backend = a.backend === 'reference' ? 'reference' : 'auto';
        const r = await merge({ merge_method: 'linear', models, parameters: { normalize: false } }, { out: a.out, dtype: a.dtype as MergeRunOptions['dtype'], shardSize: a.shardSize, backend });
        console.log(`${r.out}: ${r.tensors} tensors combined with [${coefficients.join(', ')}], ${r.dtype}, files ${r.files.join(', ')}`);
        return;
      }
      const backend = await createBackend((a.backend === 'auto' ? 'reference' : a.backend) as BackendChoice);
      try {
        const s = await mergeCheckpoint(matrix.basis, coefficients, a.out, { dtype: a.dtype?.toUpperCase() as FloatOutDType | undefined, backend });
        console.log(`${s.out}: ${s.combined} tensors combined with [${coefficients.join(', ')}], ${s.copied} integer tensors copied, ${s.dtype}`);
      } finally {
        await backend.dispose();
      }
    });
}
