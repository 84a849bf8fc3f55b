// A local stand-in for the schedulers of examples/cluster/: runs a Slurm array script or a
// Kubernetes (Indexed) Job's container command as processes on this machine, at most `parallel` at
// once, with the variables the scheduler would set (SLURM_ARRAY_TASK_ID/COUNT/MIN/MAX,
// JOB_COMPLETION_INDEX, the container's env), the volume's mountPath mapped to a local folder, and
// `ctlkit` on PATH running this checkout's build. It records how many ran at the same time.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './paths.js';

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface PoolResult {
  runs: Run[];
  /** the most processes that were running at once */
  maxConcurrent: number;
}

/** A folder holding a `ctlkit` executable that runs dist/src/cli/main.js with this node. */
export function ctlkitShim(dir: string): string {
  const bin = path.join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const file = path.join(bin, 'ctlkit');
  writeFileSync(file, `#!/bin/sh\nexec "${process.execPath}" "${path.join(repoRoot, 'dist', 'src', 'cli', 'main.js')}" "$@"\n`);
  chmodSync(file, 0o755);
  return bin;
}

function runOne(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs `tasks` (command, args, env) with at most `parallel` at once, in index order. */
export async function runPool(tasks: { cmd: string; args: string[]; env: NodeJS.ProcessEnv }[], parallel: number): Promise<PoolResult> {
  const runs: Run[] = new Array(tasks.length);
  let next = 0;
  let running = 0;
  let maxConcurrent = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      running++;
      maxConcurrent = Math.max(maxConcurrent, running);
      try {
        runs[i] = await runOne(tasks[i].cmd, tasks[i].args, tasks[i].env);
      } finally {
        running--;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, tasks.length) }, worker));
  return { runs, maxConcurrent };
}

/** The indices of `#SBATCH --array=A-B` (an optional `%limit` is ignored) in a batch script. */
export function slurmArray(script: string): number[] {
  const m = /^#SBATCH\s+--array=(\d+)-(\d+)(?:%\d+)?\s*$/m.exec(script);
  if (!m) throw new Error('no #SBATCH --array=A-B line');
  const [a, b] = [Number(m[1]), Number(m[2])];
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}

/** Every task of a Slurm array script, as `sbatch` would start them. */
export function slurmTasks(file: string, script: string, env: NodeJS.ProcessEnv): { cmd: string; args: string[]; env: NodeJS.ProcessEnv }[] {
  const idx = slurmArray(script);
  return idx.map((i) => ({
    cmd: 'bash',
    args: [file],
    env: {
      ...env,
      SLURM_ARRAY_JOB_ID: '4242',
      SLURM_ARRAY_TASK_ID: String(i),
      SLURM_ARRAY_TASK_COUNT: String(idx.length),
      SLURM_ARRAY_TASK_MIN: String(idx[0]),
      SLURM_ARRAY_TASK_MAX: String(idx[idx.length - 1]),
    },
  }));
}

interface Container {
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string }[];
  volumeMounts?: { name: string; mountPath: string }[];
}

export interface JobDoc {
  kind: string;
  spec: { completionMode?: string; completions?: number; parallelism?: number; template: { spec: { containers: Container[] } } };
}

/** The pods of a Job (one per completion index when Indexed) as processes: $(VAR) expanded from the
 *  container's env as Kubernetes does, mountPath prefixes replaced by `mounts[volume name]`. */
export function jobTasks(job: JobDoc, mounts: Record<string, string>, env: NodeJS.ProcessEnv): { cmd: string; args: string[]; env: NodeJS.ProcessEnv }[] {
  const c = job.spec.template.spec.containers[0];
  const cenv: Record<string, string> = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? '']));
  const indexed = job.spec.completionMode === 'Indexed';
  const count = indexed ? job.spec.completions ?? 1 : 1;
  const remap = (s: string): string => {
    let out = s;
    for (const m of c.volumeMounts ?? []) out = out.replaceAll(m.mountPath, mounts[m.name]);
    return out;
  };
  return Array.from({ length: count }, (_, i) => {
    const podEnv: Record<string, string> = { ...cenv, ...(indexed ? { JOB_COMPLETION_INDEX: String(i) } : {}) };
    const expand = (s: string) => remap(s.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (all, name: string) => podEnv[name] ?? all));
    const argv = [...(c.command ?? []), ...(c.args ?? [])].map(expand);
    return { cmd: argv[0], args: argv.slice(1), env: { ...env, ...podEnv } };
  });
}
