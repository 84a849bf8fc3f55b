// Reading a torch.save checkpoint vs the same tensors as safetensors: time to the first tensor
// (open + one read) and total (open + every tensor + close), median of alternating repeats in one
// process. Debian's torch writes the files at bench time to a temp folder (zip .bin, legacy .bin,
// .safetensors; --mb total, default 500) and times its own torch.load of the .bin beside.
// Usage: node dist/bench/pickle.bench.js [--mb 500] [--repeats 3] [--out bench-pickle.json]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { openCheckpoint } from '../src/io/checkpoint.js';
import { parseIntArg, writeJsonAtomic } from '../src/cli/util.js';
import { formatTable } from '../src/report/format.js';
import { repoRoot } from '../test/harness/paths.js';
import { median } from './harness.js';
import { PYTHON, torchEnv } from './torch.js';

const FILES = { 'torch zip (.bin)': 'model.bin', 'torch legacy (.bin)': 'legacy.bin', safetensors: 'model.safetensors' } as const;

const GENERATE = `
import os, sys, time, torch
sys.path.insert(0, os.path.join(sys.argv[1], 'tools'))
from fixtures.st_io import write_safetensors
out, mb = sys.argv[2], int(sys.argv[3])
g = torch.Generator().manual_seed(0)
n = max(1, mb // 5)
sd = {f'layers.{i}.weight': torch.randn(1250, 1000, generator=g) for i in range(n)}  # 5 MB each
torch.save(sd, os.path.join(out, 'model.bin'))
torch.save(sd, os.path.join(out, 'legacy.bin'), _use_new_zipfile_serialization=False)
write_safetensors(os.path.join(out, 'model.safetensors'), sd)
del sd
t = []
for _ in range(int(sys.argv[4])):
    t0 = time.perf_counter(); sd = torch.load(os.path.join(out, 'model.bin')); t.append(time.perf_counter() - t0); del sd
print(sorted(t)[len(t) // 2])
`;

interface Timing {
  format: string;
  bytes: number;
  tensors: number;
  first_tensor_ms: number;
  total_ms: number;
  gb_per_s: number;
}

async function timeOnce(file: string): Promise<{ first: number; total: number; tensors: number }> {
  const t0 = performance.now();
  const c = await openCheckpoint(file);
  const names = [...c.tensors.keys()];
  await c.read(names[0]);
  const first = performance.now() - t0;
  for (const n of names.slice(1)) await c.read(n);
  await c.close();
  return { first, total: performance.now() - t0, tensors: names.length };
}

async function main(o: { mb: string; repeats: string; out: string }): Promise<void> {
  const mb = parseIntArg(o.mb, '--mb', 5);
  const repeats = parseIntArg(o.repeats, '--repeats', 1);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ctlkit-pickle-bench-'));
  try {
    console.error(`bench: writing ${mb} MB as torch zip, torch legacy and safetensors in ${dir}`);
    const gen = spawnSync(PYTHON, ['-c', GENERATE, repoRoot, dir, String(mb), String(repeats)], { encoding: 'utf8', env: torchEnv() });
    if (gen.status !== 0) throw new Error(`bench: generating the files failed: ${gen.stderr.trim().split('\n').pop() ?? gen.error?.message}`);
    const torchLoadMs = Number(gen.stdout.trim()) * 1000;
    const runs = new Map<string, { first: number[]; total: number[]; tensors: number }>();
    for (let r = 0; r < repeats; r++) {
      for (const [format, name] of Object.entries(FILES)) {
        const t = await timeOnce(path.join(dir, name));
        const acc = runs.get(format) ?? { first: [], total: [], tensors: t.tensors };
        acc.first.push(t.first);
        acc.total.push(t.total);
        runs.set(format, acc);
      }
    }
    const timings: Timing[] = [...runs].map(([format, r]) => {
      const bytes = statSync(path.join(dir, FILES[format as keyof typeof FILES])).size;
      const total = median(r.total);
      return { format, bytes, tensors: r.tensors, first_tensor_ms: +median(r.first).toFixed(2), total_ms: +total.toFixed(1), gb_per_s: +(bytes / total / 1e6).toFixed(2) };
    });
    const cpus = os.cpus();
    const machine = { cpu: cpus[0]?.model ?? 'unknown', cores: os.availableParallelism(), node: process.version, date: new Date().toISOString(), page_cache: 'warm (files just written)' };
    console.log(`${machine.cpu}, ${machine.cores} cores, node ${machine.node}; ${mb} MB of F32 tensors, median of ${repeats}, warm page cache`);
    console.log(formatTable(['format', 'MB', 'tensors', 'first tensor ms', 'total ms', 'GB/s'],
      [...timings.map((t) => [t.format, (t.bytes / 1e6).toFixed(0), String(t.tensors), t.first_tensor_ms.toFixed(2), t.total_ms.toFixed(1), t.gb_per_s.toFixed(2)]),
        ['torch.load (model.bin, PyTorch)', '', '', '', torchLoadMs.toFixed(1), '']], [1, 2, 3, 4, 5]));
    await writeJsonAtomic(o.out, { machine, mb, repeats, timings, torch_load_ms: +torchLoadMs.toFixed(1) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

new Command('pickle-bench')
  .option('--mb <n>', 'total tensor megabytes', '500')
  .option('--repeats <n>', 'alternating runs of each format (medians reported)', '3')
  .option('--out <file>', 'JSON summary', 'bench-pickle.json')
  .action(main)
  .parseAsync()
  .catch((e: Error) => {
    console.error(e.message);
    process.exitCode = 1;
  });
