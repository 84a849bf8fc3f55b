// The end-to-end sweep against PyTorch: bench/torch_sweep.py writes a ResNet-18 (CIFAR stem), a
// small ViT and a ViT-B/32-shaped CLIP basis (pre + two perturbed copies) to a temp dir and times its own efficient sweep; then
// `ctlkit sweep --backend native` runs on the same files in its own process, the two alternating
// `repeats` times. Reported: the median wall seconds of each engine's processes, the sweep's nominal FLOPs (13 forward passes per sample: 2 basis models + 11 rows)
// per second against the measured FMA peak, peak RSS, the speed ratio, and whether the two agree
// (dist_alpha_int per row and layer within 1e-4; a fast wrong answer is worth nothing).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SweepResults } from '../src/sweep/types.js';
import { repoRoot } from '../test/harness/paths.js';
import type { Ceilings } from './ceilings.js';
import { median } from './harness.js';
import { PYTHON, torchEnv } from './torch.js';

export const AGREEMENT_TOLERANCE = 1e-4;
const MODELS = ['resnet18', 'vit', 'clip'] as const;
/** CTLKIT_SWEEP_MODELS=clip (a comma list) runs only those models of MODELS. */
const selectedModels = (): readonly string[] => {
  const only = process.env.CTLKIT_SWEEP_MODELS?.split(',').map((m) => m.trim()).filter(Boolean);
  const unknown = only?.filter((m) => !(MODELS as readonly string[]).includes(m)) ?? [];
  if (unknown.length) throw new Error(`CTLKIT_SWEEP_MODELS: unknown model '${unknown[0]}' (expected ${MODELS.join(', ')})`);
  return only ?? MODELS;
};

interface EngineRun {
  /** wall seconds of the whole process (start-up, reading the checkpoints, the sweep, writing) */
  seconds: number;
  /** the sweep's own elapsed seconds, as it reports them */
  sweep_seconds: number;
  peak_rss_bytes: number;
  /** nominal sweep FLOPs / seconds / 1e9 */
  gflops: number;
  ratio_to_peak: number | null;
}

export interface SweepBenchResult {
  model: string;
  samples: number;
  /** nominal FLOPs: forward FLOPs per sample × samples × 13 */
  flops: number;
  ctlkit: EngineRun;
  torch?: EngineRun;
  /** PyTorch seconds / ctlkit seconds */
  speedup?: number;
  /** ctlkit peak RSS / PyTorch peak RSS */
  memory_ratio?: number;
  agreement?: string;
  max_abs_diff_dist_alpha_int?: number;
  /** every run's wall seconds (the engines alternate; the table shows medians) */
  runs?: { ctlkit_seconds: number[]; torch_seconds: number[] };
  /** with --sweep-isas: ctlkit with CTLKIT_ISA forced to each level, alternating with the runs above */
  by_isa?: Record<string, EngineRun & { speedup?: number; runs: number[] }>;
}

interface TorchSweepOut {
  layers: string[];
  rows: { alpha: number; loss: number; layers: Record<string, { dist_alpha_int: number }> }[];
  elapsed_seconds: number;
  peak_rss_bytes: number;
  flops: number;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, what: string): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) {
    const why = r.error?.message ?? (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ');
    throw new Error(`${what} failed (exit ${r.status}): ${why}`);
  }
  return seconds;
}

function engine(seconds: number, sweepSeconds: number, rss: number, flops: number, ceilings: Ceilings | null): EngineRun {
  const gflops = flops / seconds / 1e9;
  return { seconds, sweep_seconds: sweepSeconds, peak_rss_bytes: rss, gflops, ratio_to_peak: ceilings ? gflops / ceilings.fmaAllCores.best : null };
}

/** Largest |Δ dist_alpha_int| over rows and layers; throws when the layers or rows differ. */
function maxDistDiff(ctl: SweepResults, torch: TorchSweepOut): number {
  if (ctl.layers.join() !== torch.layers.join()) throw new Error(`layers differ: ctlkit ${ctl.layers.join()} vs PyTorch ${torch.layers.join()}`);
  if (ctl.rows.length !== torch.rows.length) throw new Error(`rows differ: ctlkit ${ctl.rows.length} vs PyTorch ${torch.rows.length}`);
  let worst = 0;
  ctl.rows.forEach((row, k) => {
    for (const l of ctl.layers) {
      const d = Math.abs(row.layers[l].dist_alpha_int - torch.rows[k].layers[l].dist_alpha_int);
      worst = Math.max(worst, Number.isNaN(d) ? Infinity : d);
    }
  });
  return worst;
}

export async function runSweepBench(o: { quick: boolean; torch: boolean; repeats: number; ceilings: Ceilings | null; log: (s: string) => void;
  isas?: string[] }): Promise<SweepBenchResult[]> {
  const cli = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');
  if (!o.torch) {
    o.log('bench: sweep skipped (PyTorch is needed to write the checkpoints and to compare)');
    return [];
  }
  const samples = o.quick ? 32 : 256;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ctlkit-bench-'));
  const script = path.join(repoRoot, 'bench', 'torch_sweep.py');
  const results: SweepBenchResult[] = [];
  try {
    for (const model of selectedModels()) {
      const folder = path.join(dir, model);
      o.log(`bench: sweep ${model}: writing checkpoints and ${samples} inputs`);
      run(PYTHON, [script, 'make', '--model', model, '--out', folder, '--samples', String(samples)], torchEnv(), `torch_sweep.py make ${model}`);
      // the two engines alternate, `repeats` runs each; medians, so one noisy run moves nothing
      const torchOut = path.join(dir, `${model}.torch.json`);
      const ctlOut = path.join(dir, `${model}.ctlkit.json`);
      const tRuns: number[] = [], cRuns: number[] = [];
      const isaRuns = new Map<string, { seconds: number[]; out: string }>((o.isas ?? []).map((isa) => [isa, { seconds: [], out: path.join(dir, `${model}.${isa}.json`) }]));
      const ctlkit = (out: string, env: NodeJS.ProcessEnv, what: string): number =>
        run(process.execPath, [cli, 'sweep', '--interpolate', path.join(folder, 'ft_a.safetensors'), path.join(folder, 'ft_b.safetensors'),
          '--alphas', '0:1:11', '--inputs', path.join(folder, 'inputs.safetensors'), '--backend', 'native', '--out', out], env, what);
      for (let rep = 0; rep < o.repeats; rep++) {
        o.log(`bench: sweep ${model}: PyTorch (run ${rep + 1}/${o.repeats})`);
        tRuns.push(run(PYTHON, [script, 'sweep', '--model', model, '--dir', folder, '--out', torchOut], torchEnv(), `torch_sweep.py sweep ${model}`));
        o.log(`bench: sweep ${model}: ctlkit native (run ${rep + 1}/${o.repeats})`);
        cRuns.push(ctlkit(ctlOut, process.env, `ctlkit sweep ${model}`));
        for (const [isa, r] of isaRuns) {
          o.log(`bench: sweep ${model}: ctlkit native, CTLKIT_ISA=${isa} (run ${rep + 1}/${o.repeats})`);
          r.seconds.push(ctlkit(r.out, { ...process.env, CTLKIT_ISA: isa }, `ctlkit sweep ${model} CTLKIT_ISA=${isa}`));
        }
      }
      const tSeconds = median(tRuns), cSeconds = median(cRuns);
      const t = JSON.parse(readFileSync(torchOut, 'utf8')) as TorchSweepOut;
      const c = JSON.parse(readFileSync(ctlOut, 'utf8')) as SweepResults;
      const diff = maxDistDiff(c, t);
      const r: SweepBenchResult = {
        model, samples, flops: t.flops,
        ctlkit: engine(cSeconds, c.elapsed_seconds, c.peak_rss_bytes, t.flops, o.ceilings),
        torch: engine(tSeconds, t.elapsed_seconds, t.peak_rss_bytes, t.flops, o.ceilings),
        max_abs_diff_dist_alpha_int: diff,
        agreement: diff <= AGREEMENT_TOLERANCE ? `ok (max |Δ dist| ${diff.toExponential(1)})` : `DISAGREE (max |Δ dist| ${diff.toExponential(1)})`,
      };
      r.speedup = tSeconds / cSeconds;
      r.runs = { ctlkit_seconds: cRuns, torch_seconds: tRuns };
      r.memory_ratio = c.peak_rss_bytes / t.peak_rss_bytes;
      if (isaRuns.size) r.by_isa = {};
      for (const [isa, runs] of isaRuns) {
        const ci = JSON.parse(readFileSync(runs.out, 'utf8')) as SweepResults;
        const d = maxDistDiff(ci, t);
        if (!(d <= AGREEMENT_TOLERANCE)) r.agreement = `DISAGREE with CTLKIT_ISA=${isa} (max |Δ dist| ${d.toExponential(1)})`;
        const sec = median(runs.seconds);
        r.by_isa![isa] = { ...engine(sec, ci.elapsed_seconds, ci.peak_rss_bytes, t.flops, o.ceilings), speedup: tSeconds / sec, runs: runs.seconds };
      }
      results.push(r);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}
