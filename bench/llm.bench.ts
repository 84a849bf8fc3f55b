// The LLM bench: a Llama-3.2-1B-shaped pair of BF16 checkpoints (16 layers, hidden 2048, intermediate
// 8192, 32 heads, 8 kv heads, vocab 128256, tied; random from a fixed seed, written by
// bench/torch_llm_sweep.py make), an 11-α interpolation sweep over 8 sequences × 128 tokens with the
// official metrics at every model.layers.{i}, model.norm and lm_head: `ctlkit sweep --backend native`
// in its own process against bench/torch_llm_sweep.py's efficient PyTorch sweep of the same.
// Reported: wall and CPU seconds of each process, nominal GFLOP/s (11 forwards: the 2 basis models and 9 rows)
// against the measured FMA peak, peak RSS, the speed ratio and the agreement of dist_alpha_int.
// Usage: node dist/bench/llm.bench.js [--out bench-llm.json] [--small] [--keep DIR]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../src/io/atomic.js';
import type { SweepResults } from '../src/sweep/types.js';
import { repoRoot } from '../test/harness/paths.js';
import { measureCeilings } from './ceilings.js';
import { PYTHON, torchEnv } from './torch.js';

const SMALL = ['--layers', '2', '--hidden', '256', '--inter', '512', '--heads', '8', '--kv', '2', '--vocab', '4000'];

interface TorchOut {
  layers: string[];
  rows: { alpha: number; loss: number; layers: Record<string, { dist_alpha_int: number }> }[];
  elapsed_seconds: number;
  peak_rss_bytes: number;
  flops: number;
}

/** Wall seconds and, through /usr/bin/time when present, CPU seconds (user + system) of the process:
 *  on a machine shared with other jobs the CPU seconds are the figure that does not move with load. */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, what: string, dir: string): { seconds: number; cpuSeconds: number | null } {
  const timeFile = path.join(dir, 'time.txt');
  const timed = existsSync('/usr/bin/time');
  const t0 = performance.now();
  const r = timed
    ? spawnSync('/usr/bin/time', ['-f', '%U %S', '-o', timeFile, cmd, ...args], { env, encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawnSync(cmd, args, { env, encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'pipe'] });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}): ${(r.error?.message ?? r.stderr).trim().split('\n').slice(-3).join(' | ')}`);
  const cpu = timed ? readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number) : null;
  return { seconds, cpuSeconds: cpu ? cpu[0] + cpu[1] : null };
}

async function main(argv: string[]): Promise<void> {
  const arg = (name: string): string | undefined => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
  const out = arg('--out') ?? 'bench-llm.json';
  const small = argv.includes('--small');
  const keep = arg('--keep');
  const dir = keep ?? mkdtempSync(path.join(os.tmpdir(), 'ctlkit-llm-'));
  const log = (s: string) => console.error(`bench llm: ${s}`);
  const script = path.join(repoRoot, 'bench', 'torch_llm_sweep.py');
  const cli = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');
  try {
    const ceilings = await measureCeilings({ quick: true });
    if (!existsSync(path.join(dir, 'ft_b.safetensors'))) {
      log(`writing the ${small ? 'small' : 'Llama-3.2-1B-shaped'} BF16 checkpoints to ${dir}`);
      run(PYTHON, [script, 'make', '--out', dir, ...(small ? SMALL : [])], torchEnv(), 'torch_llm_sweep.py make', dir);
    }
    const ctlOut = path.join(dir, 'ctlkit.json');
    const torchOut = path.join(dir, 'torch.json');
    log('ctlkit sweep --backend native');
    const cRun = run(process.execPath, [cli, 'sweep', '--interpolate', path.join(dir, 'ft_a.safetensors'), path.join(dir, 'ft_b.safetensors'),
      '--alphas', '0:1:11', '--inputs', path.join(dir, 'inputs.safetensors'), '--backend', 'native', '--out', ctlOut], process.env, 'ctlkit sweep', dir);
    log(`ctlkit: ${cRun.seconds.toFixed(1)} s; PyTorch sweep`);
    const tRun = run(PYTHON, [script, 'sweep', '--dir', dir, '--out', torchOut], torchEnv(), 'torch_llm_sweep.py sweep', dir);
    const cSeconds = cRun.seconds, tSeconds = tRun.seconds;
    const c = JSON.parse(readFileSync(ctlOut, 'utf8')) as SweepResults;
    const t = JSON.parse(readFileSync(torchOut, 'utf8')) as TorchOut;
    if (c.layers.join() !== t.layers.join()) throw new Error(`layers differ: ${c.layers.join()} vs ${t.layers.join()}`);
    let worst = 0;
    c.rows.forEach((row, k) => {
      for (const l of c.layers) worst = Math.max(worst, Math.abs(row.layers[l].dist_alpha_int - t.rows[k].layers[l].dist_alpha_int) || 0);
    });
    const lossDiff = Math.max(...c.rows.map((row, k) => Math.abs((row.loss ?? NaN) - t.rows[k].loss) / Math.abs(t.rows[k].loss)));
    const peak = ceilings.fmaAllCores.best;
    const engine = (r: { seconds: number; cpuSeconds: number | null }, rss: number) => ({
      seconds: r.seconds, cpu_seconds: r.cpuSeconds, peak_rss_bytes: rss, peak_rss_gib: rss / 2 ** 30,
      gflops: t.flops / r.seconds / 1e9, ratio_to_peak: t.flops / r.seconds / 1e9 / peak,
      gflop_per_cpu_second: r.cpuSeconds ? t.flops / r.cpuSeconds / 1e9 : null,
    });
    const result = {
      case: small ? 'small llama (2 layers, hidden 256, vocab 4000)' : 'Llama-3.2-1B-shaped, BF16, tied, 11 alphas, 8 x 128 tokens',
      machine: { cpu: os.cpus()[0]?.model, cores: os.availableParallelism(), isa: ceilings.isa, fma_peak_gflops: peak, load_average: os.loadavg() },
      flops: t.flops,
      ctlkit: { ...engine(cRun, c.peak_rss_bytes), sweep_seconds: c.elapsed_seconds },
      torch: { ...engine(tRun, t.peak_rss_bytes), sweep_seconds: t.elapsed_seconds },
      speedup: tSeconds / cSeconds,
      speedup_cpu_seconds: cRun.cpuSeconds && tRun.cpuSeconds ? tRun.cpuSeconds / cRun.cpuSeconds : null,
      max_abs_diff_dist_alpha_int: worst,
      max_rel_diff_loss: lossDiff,
      date: new Date().toISOString(),
    };
    await writeFileAtomic(out, JSON.stringify(result, null, 1) + '\n');
    console.log(JSON.stringify(result, null, 1));
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

await main(process.argv.slice(2));
