// PyTorch in the same run: Debian's python3-torch through /usr/bin/python3, 2 threads
// (torch.set_num_threads and OPENBLAS_NUM_THREADS / OMP_NUM_THREADS), when it is installed.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../test/harness/paths.js';
import type { TimeOptions, TorchSpec } from './harness.js';

export const PYTHON = '/usr/bin/python3';
export const TORCH_THREADS = 2;

export const torchEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  THREADS: String(TORCH_THREADS),
  OPENBLAS_NUM_THREADS: String(TORCH_THREADS),
  OMP_NUM_THREADS: String(TORCH_THREADS),
  MKL_NUM_THREADS: String(TORCH_THREADS),
});

/** The torch version, or null (with the reason) when /usr/bin/python3 cannot import torch. */
export function torchVersion(): { version: string | null; reason?: string } {
  const r = spawnSync(PYTHON, ['-c', 'import torch, torchvision; print(torch.__version__)'], { encoding: 'utf8' });
  if (r.status === 0) return { version: r.stdout.trim() };
  return { version: null, reason: r.error ? r.error.message : (r.stderr.trim().split('\n').pop() ?? 'import failed') };
}

export interface TorchTiming {
  id: string;
  median_seconds: number;
  samples: number;
}

/** Times the specs with bench/torch_ops.py; returns the median seconds by id. */
export function runTorchOps(specs: (TorchSpec & { id: string })[], t: TimeOptions): Map<string, TorchTiming> {
  const r = spawnSync(PYTHON, [path.join(repoRoot, 'bench', 'torch_ops.py')], {
    input: JSON.stringify(specs),
    encoding: 'utf8',
    env: { ...torchEnv(), MAX_TIME: String(t.maxTime), MIN_SAMPLES: String(t.minSamples) },  // the settings ctlkit's cases run with
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`bench/torch_ops.py failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const out = JSON.parse(r.stdout) as { results: TorchTiming[] };
  return new Map(out.results.map((t) => [t.id, t]));
}

export interface TorchInfo {
  torch: string;
  threads: number;
  blas: { libraries: string[]; openblas_core: string | null; openblas_config: string | null };
  blas_info: string | null;
  mkldnn_available: boolean;
  /** oneDNN's "isa:" line (ONEDNN_VERBOSE), e.g. 'Intel AVX-512 with Intel DL Boost and bfloat16 support ...' */
  onednn_isa: string | null;
  aten_cpu_capability: string | null;
  matmul_512_gflops: number;
  /** why torch's figures are not PyTorch at its best here, when they are not */
  warning?: string;
}

/** Which BLAS and oneDNN ISA torch uses (bench/torch_info.py), and a warning when its matmul runs
 *  at reference-BLAS speed (Debian's torch without libopenblas0-pthread: every ratio meaningless). */
export function torchInfo(): TorchInfo | null {
  const r = spawnSync(PYTHON, [path.join(repoRoot, 'bench', 'torch_info.py')], {
    env: { ...torchEnv(), ONEDNN_VERBOSE: '1', DNNL_VERBOSE: '1' }, encoding: 'utf8', maxBuffer: 1 << 24,
  });
  const line = r.stdout?.split('\n').find((l) => l.startsWith('TORCH_INFO '));
  if (r.status !== 0 || !line) return null;
  const info = JSON.parse(line.slice('TORCH_INFO '.length)) as TorchInfo;
  info.onednn_isa = r.stdout.match(/onednn_verbose,info,cpu,isa:(.*)/)?.[1]?.trim() ?? null;
  const openblas = info.blas.libraries.some((l) => /openblas/i.test(l));
  if (!openblas || info.matmul_512_gflops < 20) {
    info.warning = `torch's BLAS is ${info.blas.libraries.join(', ') || info.blas_info || 'unknown'} at ${info.matmul_512_gflops} GFLOP/s ` +
      '(512³ matmul): not an optimised BLAS, so the comparison is meaningless; install libopenblas0-pthread';
  }
  return info;
}
