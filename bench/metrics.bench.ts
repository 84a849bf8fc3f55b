// The extra cost of each --metric over cosine on the bench's ResNet-18 (CIFAR stem) and ViT sweeps
// (bench/torch_sweep.py writes the checkpoints): `ctlkit sweep --backend native --interpolate A B
// --alphas 0:1:11 --metric <m>` in its own process per metric, `repeats` times in turn; the sweep's
// own elapsed seconds (median), the process's CPU seconds (user + system, /usr/bin/time: on a shared
// machine the steadier figure), peak RSS, and the extra over cosine.
// Usage: node dist/bench/metrics.bench.js [--samples n] [--repeats n] [--out file.json]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import type { SweepResults } from '../src/sweep/types.js';
import { METRIC_NAMES } from '../src/metrics/metric_names.js';
import { writeJsonAtomic } from '../src/cli/util.js';
import { repoRoot } from '../test/harness/paths.js';
import { median } from './harness.js';
import { PYTHON, torchEnv } from './torch.js';

const RUNS = [...METRIC_NAMES.map((m) => [m]), [...METRIC_NAMES]];

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, what: string): void {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}): ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`);
}

/** CPU seconds (user + system) of a command, by /usr/bin/time. */
function cpuRun(cmd: string, args: string[], what: string, timeFile: string): number {
  run('/usr/bin/time', ['-f', '%U %S', '-o', timeFile, cmd, ...args], process.env, what);
  const [u, s] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  return u + s;
}

const p = new Command().option('--samples <n>', 'inputs per sweep', '32').option('--repeats <n>', 'runs per metric', '1').option('--out <file>', 'JSON results');
p.parse();
const o = p.opts<{ samples: string; repeats: string; out?: string }>();
const cli = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');
const dir = mkdtempSync(path.join(os.tmpdir(), 'ctlkit-metrics-bench-'));
const out: Record<string, unknown>[] = [];
try {
  for (const model of ['resnet18', 'vit']) {
    const folder = path.join(dir, model);
    run(PYTHON, [path.join(repoRoot, 'bench', 'torch_sweep.py'), 'make', '--model', model, '--out', folder, '--samples', o.samples], torchEnv(), `torch_sweep.py make ${model}`);
    const secs = new Map<string, number[]>(), cpu = new Map<string, number[]>(), rss = new Map<string, number>();
    for (let rep = 0; rep < Number(o.repeats); rep++) {
      for (const metrics of RUNS) {
        const name = metrics.join(','), res = path.join(dir, `${model}.json`);
        const c = cpuRun(process.execPath, [cli, 'sweep', '--interpolate', path.join(folder, 'ft_a.safetensors'), path.join(folder, 'ft_b.safetensors'), '--alphas', '0:1:11',
          '--inputs', path.join(folder, 'inputs.safetensors'), '--backend', 'native', '--metric', name, '--out', res], `ctlkit sweep ${model} --metric ${name}`, path.join(dir, 'time.txt'));
        cpu.set(name, [...(cpu.get(name) ?? []), c]);
        const r = JSON.parse(readFileSync(res, 'utf8')) as SweepResults;
        secs.set(name, [...(secs.get(name) ?? []), r.elapsed_seconds]);
        rss.set(name, Math.max(rss.get(name) ?? 0, r.peak_rss_bytes));
      }
    }
    const base = median(secs.get('cosine')!), baseCpu = median(cpu.get('cosine')!);
    for (const [name, s] of secs) {
      const c = median(cpu.get(name)!);
      const line = {
        model, samples: Number(o.samples), metric: name, seconds: median(s), extra_seconds: median(s) - base,
        cpu_seconds: c, extra_cpu_seconds: c - baseCpu, extra_cpu_ratio: c / baseCpu - 1, peak_rss_mib: rss.get(name)! / 2 ** 20, runs: s, cpu_runs: cpu.get(name),
      };
      out.push(line);
      console.log(`${model} ${o.samples} samples  --metric ${name.padEnd(14)} sweep ${line.seconds.toFixed(2)} s wall (+${line.extra_seconds.toFixed(2)})  ` +
        `process ${c.toFixed(2)} s CPU (+${line.extra_cpu_seconds.toFixed(2)}, +${(100 * line.extra_cpu_ratio).toFixed(0)}%)  peak RSS ${line.peak_rss_mib.toFixed(0)} MiB`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (o.out) await writeJsonAtomic(o.out, { cpu: os.cpus()[0]?.model, cores: os.cpus().length, results: out });
