// The README's performance section from bench-results.json: machine, ceilings, the op table, the
// sweep against PyTorch, and each target of issue 4 checked against the measured numbers.
// Usage: node dist/bench/markdown.js bench-results.json > section.md
import { readFileSync } from 'node:fs';
import type { Ceilings } from './ceilings.js';
import type { SweepBenchResult } from './sweep.bench.js';

interface OpRow {
  area: string; label: string; vars: string; backend: string; note?: string; median_seconds: number;
  unit: string; rate: number; ratio_to_ceiling: number | null; speedup_vs_torch?: number;
}
interface Results {
  machine: Record<string, unknown>;
  ceilings: Ceilings | null;
  ops: OpRow[];
  sweep: SweepBenchResult[];
}

const f = (v: number, d = 1): string => v.toFixed(d);
const pct = (r: number | null | undefined): string => (r === null || r === undefined ? '–' : `${(100 * r).toFixed(0)}%`);
const mib = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MiB`;

export function performanceMarkdown(r: Results): string {
  const m = r.machine;
  const out: string[] = [];
  out.push('## Performance', '');
  out.push(`Measured ${String(m.date).slice(0, 16).replace('T', ' ')} UTC on ${m.cpu} (${m.cores} cores, ${m.memory_gib} GiB), ` +
    `Node ${m.node}, PyTorch ${m.torch ?? 'absent'}; load average ${(m.load_average_at_start as number[]).join(' / ')} at the start, ` +
    `${(m.load_average_at_end as number[]).join(' / ')} at the end (1/5/15 min). Medians of benchmark.js samples; ` +
    'ceilings are the best of their samples, measured in the same run.', '');
  const c = r.ceilings;
  if (c) {
    out.push(`Ceilings: FMA peak (${c.isa}, 12 independent chains) ${f(c.fmaOneCore.best)} GFLOP/s on one core, ` +
      `**${f(c.fmaAllCores.best)} GFLOP/s on ${c.fmaAllCores.threads} threads**; memory copy of ${mib(c.copy.bytes)} ` +
      `**${f(c.copy.best)} GB/s** (bytes read + written, ${c.copy.threads} threads). "% ceiling" is against the ` +
      `${c.fmaAllCores.threads}-thread FMA peak of the widest ISA for GFLOP/s and against the copy for GB/s. ` +
      `Native kernels ran ${c.kernelIsa ?? c.isa}; FMA peak per ISA (1 / ${c.fmaAllCores.threads} threads): ` +
      Object.entries(c.fmaByIsa ?? {}).map(([k, v]) => `${k} ${f(v.oneCore.best)} / ${f(v.allCores.best)}`).join(', ') + ' GFLOP/s.', '');
  }
  out.push('| area | case | backend | median ms | rate | % ceiling | vs PyTorch |', '|---|---|---|--:|--:|--:|--:|');
  for (const o of r.ops) {
    const backend = o.note?.startsWith('software') ? `${o.backend} (software adapter: shows it runs only)` : o.backend;
    out.push(`| ${o.area} | ${o.label} | ${backend} | ${f(o.median_seconds * 1e3, o.median_seconds < 0.01 ? 3 : 1)} | ` +
      `${f(o.rate, o.rate < 10 ? 2 : 1)} ${o.unit} | ${pct(o.ratio_to_ceiling)} | ${o.speedup_vs_torch ? `${f(o.speedup_vs_torch, 2)}×` : ''} |`);
  }
  out.push('', '"vs PyTorch" is PyTorch\'s median time over ctlkit\'s (above 1: ctlkit is faster). PyTorch runs with ' +
    '`torch.set_num_threads(2)`, `OPENBLAS_NUM_THREADS=2`; its attention is the q·kᵀ → softmax → ·v composition ' +
    '(1.13 has no fused kernel) and its combine is one float32 matrix product over a pre-stacked basis.', '');
  if (r.sweep.length) {
    out.push(`### End-to-end sweep: 11-α interpolation, official metrics, ${r.sweep[0].samples} samples`, '');
    out.push('| model | engine | wall s | GFLOP/s | % FMA peak | peak RSS | speedup | agreement |', '|---|---|--:|--:|--:|--:|--:|---|');
    for (const s of r.sweep) {
      out.push(`| ${s.model} | ctlkit native | ${f(s.ctlkit.seconds)} | ${f(s.ctlkit.gflops)} | ${pct(s.ctlkit.ratio_to_peak)} | ${mib(s.ctlkit.peak_rss_bytes)} | ${s.speedup ? `${f(s.speedup, 2)}×` : ''} | ${s.agreement ?? ''} |`);
      if (s.torch) out.push(`| ${s.model} | PyTorch | ${f(s.torch.seconds)} | ${f(s.torch.gflops)} | ${pct(s.torch.ratio_to_peak)} | ${mib(s.torch.peak_rss_bytes)} | | |`);
    }
    const runs = r.sweep.filter((s) => s.runs && s.runs.ctlkit_seconds.length > 1);
    if (runs.length) {
      out.push('', 'Every run (the engines alternate; the table shows the medians):', '');
      for (const s of runs) {
        out.push(`- ${s.model}: ctlkit ${s.runs!.ctlkit_seconds.map((v) => f(v)).join(', ')} s; PyTorch ${s.runs!.torch_seconds.map((v) => f(v)).join(', ')} s`);
      }
    }
    out.push('', 'Wall seconds (median of the runs) of each whole process (start-up, reading the checkpoints, the sweep, writing the results). ' +
      'GFLOP/s counts the nominal work, 13 forward passes per sample (2 basis models + 11 rows), for both engines. ' +
      'Agreement: the largest |Δ dist_alpha_int| over rows and layers between the two (tolerance 1e-4).', '');
  }
  out.push('### Targets (issue 4), against the ceilings measured in this run', '', ...targets(r).map((t) => `- ${t}`), '');
  return out.join('\n');
}

function targets(r: Results): string[] {
  const lines: string[] = [];
  const gemm = r.ops.filter((o) => o.backend === 'native' && /square (1024|2048)/.test(o.label));
  for (const g of gemm) lines.push(`GEMM ${g.label.replace('square ', '')} ≥ 75% of the FMA peak: ${pct(g.ratio_to_ceiling)} — ${verdict((g.ratio_to_ceiling ?? 0) >= 0.75)}`);
  const comb = r.ops.filter((o) => o.backend === 'native' && o.vars.startsWith('combine') && o.label !== 'small');
  for (const c of comb) lines.push(`combine (${c.label}) ≥ 70% of the copy bandwidth: ${pct(c.ratio_to_ceiling)} — ${verdict((c.ratio_to_ceiling ?? 0) >= 0.7)}`);
  for (const s of r.sweep) {
    if (s.speedup === undefined || !s.torch) continue;
    // lower memory: at least 1% below PyTorch's peak (a few kB less is a tie, not a win)
    const lower = s.ctlkit.peak_rss_bytes < 0.99 * s.torch.peak_rss_bytes;
    lines.push(`sweep ${s.model} ≥ 2× faster than PyTorch with lower peak memory: ${f(s.speedup, 2)}×, ` +
      `${mib(s.ctlkit.peak_rss_bytes)} vs ${mib(s.torch.peak_rss_bytes)} — ${verdict(s.speedup >= 2 && lower)}`);
  }
  return lines;
}

const verdict = (ok: boolean): string => (ok ? 'met' : '**not met**');

if (process.argv[1]?.endsWith('markdown.js')) {
  const file = process.argv[2] ?? 'bench-results.json';
  process.stdout.write(performanceMarkdown(JSON.parse(readFileSync(file, 'utf8')) as Results));
}
