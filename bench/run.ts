// npm run bench: ceilings, the op cases on every backend createBackend can make, PyTorch on the same
// shapes, and the end-to-end sweep against PyTorch; a compact table and bench-results.json.
// Usage: node dist/bench/run.js [--quick] [--filter <regex>] [--out <file>] [--no-torch] [--no-sweep] [--sweep-repeats <n>]
import os from 'node:os';
import { Command } from 'commander';
import type { Backend } from '../src/backends/backend.js';
import { createBackend } from '../src/backends/index.js';
import { parseIntArg, writeJsonAtomic } from '../src/cli/util.js';
import { formatTable } from '../src/report/format.js';
import { attentionCases } from './attention.bench.js';
import { measureCeilings, type Ceilings } from './ceilings.js';
import { combineCases } from './combine.bench.js';
import { convCases } from './conv.bench.js';
import { gemmCases } from './gemm.bench.js';
import { timeCase, type BenchCase, type TimeOptions } from './harness.js';
import { runSweepBench, type SweepBenchResult } from './sweep.bench.js';
import { runTorchOps, torchVersion } from './torch.js';

interface Options {
  quick: boolean;
  sweepRepeats: number;
  filter?: string;
  out: string;
  torch: boolean;
  sweep: boolean;
}

interface OpResult {
  area: string;
  label: string;
  vars: string;
  backend: string;
  note?: string;
  median_seconds: number;
  samples: number;
  rme_percent?: number;
  ops_per_sec: number;
  unit: 'GFLOP/s' | 'GB/s';
  rate: number;
  /** rate / ceiling (FMA peak on all cores for GFLOP/s, copy bandwidth for GB/s); CPU backends only */
  ratio_to_ceiling: number | null;
  /** PyTorch's median / this median (> 1: faster than PyTorch) */
  speedup_vs_torch?: number;
}

function machineInfo(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memory_gib: +(os.totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    date: new Date().toISOString(),
    load_average_at_start: os.loadavg().map((v) => +v.toFixed(2)),
  };
}

interface BackendEntry {
  be: Backend;
  note?: string;
}

async function availableBackends(log: (s: string) => void): Promise<BackendEntry[]> {
  const out: BackendEntry[] = [];
  for (const name of ['native', 'webgpu', 'reference'] as const) {
    try {
      const be = await createBackend(name);
      let note: string | undefined;
      if (name === 'webgpu') {
        const { hasHardwareAdapter } = await import('../src/backends/webgpu/index.js');
        if (!(await hasHardwareAdapter().catch(() => false))) note = 'software adapter: shows it runs only';
      }
      if (name === 'reference') note = 'reference: small sizes only';
      out.push({ be, note });
    } catch (e) {
      log(`bench: ${name} backend not available (${(e as Error).message})`);
    }
  }
  return out;
}

const cpuBackends = new Set(['native', 'reference', 'pytorch']);
/** On a software WebGPU adapter (lavapipe) only cases up to this work (FLOPs, or 10 × bytes) run. */
const SOFTWARE_ADAPTER_MAX_WORK = 3e9;

function rateOf(c: BenchCase, seconds: number): { unit: 'GFLOP/s' | 'GB/s'; rate: number } {
  if (c.op.flops !== undefined) return { unit: 'GFLOP/s', rate: c.op.flops / seconds / 1e9 };
  if (c.op.bytes !== undefined) return { unit: 'GB/s', rate: c.op.bytes / seconds / 1e9 };
  throw new Error(`bench case ${c.op.vars()}: neither flops nor bytes`);
}

function result(c: BenchCase, backend: string, seconds: number, samples: number, ceilings: Ceilings | null,
  extra: Partial<OpResult> = {}): OpResult {
  const { unit, rate } = rateOf(c, seconds);
  const ceiling = ceilings ? (unit === 'GFLOP/s' ? ceilings.fmaAllCores.best : ceilings.copy.best) : null;
  return {
    area: c.area, label: c.label, vars: c.op.vars(), backend, median_seconds: seconds, samples,
    ops_per_sec: 1 / seconds, unit, rate, ratio_to_ceiling: ceiling && cpuBackends.has(backend) ? rate / ceiling : null,
    ...extra,
  };
}

const fmtRate = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toPrecision(2));
const fmtMs = (s: number): string => (s * 1e3 >= 100 ? (s * 1e3).toFixed(0) : (s * 1e3).toPrecision(3));
const pct = (r: number | null | undefined): string => (r === null || r === undefined ? '' : `${(100 * r).toFixed(0)}%`);

function opsTable(results: readonly OpResult[]): string {
  const rows = results.map((r) => [
    r.area, r.label, r.backend + (r.note?.startsWith('software') ? '*' : ''), fmtMs(r.median_seconds),
    `${fmtRate(r.rate)} ${r.unit}`, pct(r.ratio_to_ceiling), r.speedup_vs_torch ? `${r.speedup_vs_torch.toFixed(2)}×` : '',
  ]);
  return formatTable(['area', 'case', 'backend', 'median ms', 'rate', '% ceiling', 'vs torch'], rows, [3, 4, 5, 6]);
}

async function main(o: Options): Promise<void> {
  const log = (s: string): void => console.error(s);
  const filter = o.filter ? new RegExp(o.filter, 'i') : null;
  const selected = [...gemmCases, ...convCases, ...attentionCases, ...combineCases]
    .filter((c) => !o.quick || c.quick)
    .filter((c) => !filter || filter.test(`${c.area} ${c.label} ${c.op.vars()}`));
  const machine = machineInfo();
  const torch = o.torch ? torchVersion() : { version: null, reason: '--no-torch' };
  machine.torch = torch.version;

  log('bench: measuring ceilings (FMA peak, memory copy)');
  let ceilings: Ceilings | null = null;
  try {
    ceilings = await measureCeilings({ quick: o.quick });
  } catch (e) {
    log(`bench: ceilings not measured: ${(e as Error).message}`);
  }

  const ops: OpResult[] = [];
  const backends = selected.length ? await availableBackends(log) : [];
  const timeOpts: TimeOptions = o.quick ? { maxTime: 1, minSamples: 3 } : { maxTime: 3, minSamples: 5 };
  for (const c of selected) {
    for (const { be, note } of backends) {
      if (be.name === 'reference' && !c.onReference) continue;
      if (note?.startsWith('software') && (c.op.flops ?? 0) + 10 * (c.op.bytes ?? 0) > SOFTWARE_ADAPTER_MAX_WORK) {
        log(`bench: webgpu (software adapter) skips ${c.op.vars()}: too slow to be worth timing there`);
        continue;
      }
      if (!be.supports(c.op.op)) {
        log(`bench: ${be.name} does not support ${c.op.op}`);
        continue;
      }
      log(`bench: ${be.name} ${c.op.vars()}`);
      try {
        const t = await timeCase(be, c.op, timeOpts);
        ops.push(result(c, be.name, t.medianSeconds, t.samples, ceilings, { note, rme_percent: t.rme }));
      } catch (e) {
        log(`bench: ${be.name} ${c.op.vars()} failed: ${(e as Error).message}`);
      }
    }
  }
  for (const { be } of backends) await be.dispose();

  const withTorch = selected.filter((c) => c.torch);
  if (torch.version && withTorch.length) {
    log(`bench: PyTorch ${torch.version} on the same shapes`);
    const timings = runTorchOps(withTorch.map((c) => ({ ...c.torch!, id: c.op.vars() })), timeOpts);
    for (const c of withTorch) {
      const t = timings.get(c.op.vars());
      if (!t) continue;
      const note = c.area === 'combine' ? 'C · stacked basis, float32 sums' : undefined;
      ops.push(result(c, 'pytorch', t.median_seconds, t.samples, ceilings, note ? { note } : {}));
      for (const r of ops) {
        if (r.vars === c.op.vars() && r.backend !== 'pytorch') r.speedup_vs_torch = t.median_seconds / r.median_seconds;
      }
    }
  } else if (!torch.version) log(`bench: PyTorch skipped (${torch.reason})`);

  let sweep: SweepBenchResult[] = [];
  if (o.sweep && (!filter || filter.test('sweep'))) {
    sweep = await runSweepBench({ quick: o.quick, torch: torch.version !== null, repeats: o.sweepRepeats, ceilings, log });
  }

  machine.load_average_at_end = os.loadavg().map((v) => +v.toFixed(2));
  const order = ['native', 'webgpu', 'reference', 'pytorch'];
  ops.sort((a, b) => order.indexOf(a.backend) - order.indexOf(b.backend));
  const byCase = selected.flatMap((c) => ops.filter((r) => r.vars === c.op.vars()));
  console.log(`${machine.cpu}, ${machine.cores} cores, node ${machine.node}, torch ${torch.version ?? 'absent'}, ${machine.date}`);
  console.log(`load average: start ${(machine.load_average_at_start as number[]).join(' ')}, end ${(machine.load_average_at_end as number[]).join(' ')}`);
  if (ceilings) {
    console.log(`ceilings (best of samples): FMA ${ceilings.isa} ${fmtRate(ceilings.fmaOneCore.best)} GFLOP/s on 1 core, ` +
      `${fmtRate(ceilings.fmaAllCores.best)} GFLOP/s on ${ceilings.fmaAllCores.threads}; copy ${fmtRate(ceilings.copy.best)} GB/s (read + write, ${ceilings.copy.threads} threads)`);
  }
  if (byCase.length) console.log(opsTable(byCase));
  if (byCase.some((r) => r.note?.startsWith('software'))) console.log('* software adapter (lavapipe): shows it runs only');
  if (sweep.length) console.log(sweepTable(sweep));
  await writeJsonAtomic(o.out, { machine, ceilings, ops: byCase, sweep });
  console.log(`wrote ${o.out}`);
}

function sweepTable(s: readonly SweepBenchResult[]): string {
  const rows = s.flatMap((r) => [
    [r.model, 'ctlkit native', r.ctlkit.seconds.toFixed(1), fmtRate(r.ctlkit.gflops), pct(r.ctlkit.ratio_to_peak),
      `${(r.ctlkit.peak_rss_bytes / 2 ** 20).toFixed(0)}`, r.speedup ? `${r.speedup.toFixed(2)}×` : '', r.agreement ?? ''],
    ...(r.torch ? [[r.model, 'pytorch', r.torch.seconds.toFixed(1), fmtRate(r.torch.gflops), pct(r.torch.ratio_to_peak),
      `${(r.torch.peak_rss_bytes / 2 ** 20).toFixed(0)}`, '', '']] : []),
  ]);
  return formatTable(['sweep (11 α, ' + (s[0]?.samples ?? 0) + ' samples)', 'engine', 'seconds', 'GFLOP/s', '% peak', 'peak RSS MiB', 'speedup', 'agreement'],
    rows, [2, 3, 4, 5, 6]);
}

const program = new Command('bench')
  .option('--quick', 'fewer cases and samples', false)
  .option('--filter <regex>', 'only cases whose area, label or vars() match (e.g. gemm, conv2d, sweep)')
  .option('--out <file>', 'JSON summary', 'bench-results.json')
  .option('--no-torch', 'skip PyTorch')
  .option('--no-sweep', 'skip the end-to-end sweep')
  .option('--sweep-repeats <n>', 'runs of each engine per sweep, alternating (medians reported)', '3')
  .action(async (o: Omit<Options, 'sweepRepeats'> & { sweepRepeats: string }) =>
    main({ ...o, sweepRepeats: o.quick ? 1 : parseIntArg(o.sweepRepeats, '--sweep-repeats', 1) }));
program.parseAsync().catch((e: Error) => {
  console.error(`bench: ${e.message}`);
  process.exit(1);
});
