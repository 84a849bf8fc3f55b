// examples/cluster/ run locally (issue 17): the Kubernetes manifests pass a schema check of the
// fields an Indexed Job needs, the Slurm scripts pass `bash -n`, and both are executed by a small
// runner (harness/cluster.ts) that sets the index variables and runs the 8 shards as separate
// processes, four at once, then the reduce step; the reduced results.json and CSV equal an
// unsharded run in this process (no shared state between the shards). Also the CLI's refusals.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { createBackend } from '../src/backends/index.js';
import { interpolation } from '../src/sweep/coefficients.js';
import { resultsToCsv } from '../src/sweep/csv.js';
import { runSweep } from '../src/sweep/runner.js';
import type { SweepResults } from '../src/sweep/types.js';
import { ctlkitShim, jobTasks, runPool, slurmTasks, type JobDoc } from './harness/cluster.js';
import { repoRoot } from './harness/paths.js';
import { compareReduced, formatWorst } from './harness/shard_compare.js';

const ex = path.join(repoRoot, 'examples', 'cluster');
const tmp = mkdtempSync(path.join(tmpdir(), 'ctl-cluster-'));
const bin = ctlkitShim(tmp);
const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` };
const BATCH = '16'; // 256 samples: 16 chunks, 2 per shard

/** A shared volume as the examples expect it: ckpt/ (two bundled MLP checkpoints + config) and inputs. */
function volume(name: string): string {
  const dir = path.join(tmp, name);
  mkdirSync(path.join(dir, 'ckpt'), { recursive: true });
  const mlp = (f: string) => path.join(repoRoot, 'examples', 'mlp', f);
  for (const f of ['ft_a.safetensors', 'ft_b.safetensors', 'config.json']) copyFileSync(mlp(f), path.join(dir, 'ckpt', f));
  copyFileSync(mlp('eval_a.safetensors'), path.join(dir, 'inputs.safetensors'));
  return dir;
}

/** The sweep the examples describe, run here in one piece with the backend `auto` picks. */
async function unsharded(dir: string, batch = BATCH): Promise<SweepResults> {
  const be = await createBackend('auto', { quiet: true });
  try {
    const m = interpolation(path.join(dir, 'ckpt', 'ft_a.safetensors'), path.join(dir, 'ckpt', 'ft_b.safetensors'), '0:1:11');
    return await runSweep({ matrix: m, inputs: path.join(dir, 'inputs.safetensors'), samples: 2000, seed: 0 }, { backend: be, batch: Number(batch) });
  } finally {
    await be.dispose();
  }
}

function checkReduced(dir: string, want: SweepResults, label: string): void {
  const got = JSON.parse(readFileSync(path.join(dir, 'results.json'), 'utf8')) as SweepResults;
  const w = compareReduced(want, got, label);
  console.log(`  ${label}: ${formatWorst(w)}`);
  const csv = readFileSync(path.join(dir, 'results.csv'), 'utf8').trim().split('\n');
  const ref = resultsToCsv(want).trim().split('\n');
  assert.is(csv.length, ref.length);
  assert.is(csv[0], ref[0]);
  csv.slice(1).forEach((line, i) => {
    const a = line.match(/"[^"]*"|[^,]+|(?<=,)(?=,|$)/g)!;
    const b = ref[i + 1].match(/"[^"]*"|[^,]+|(?<=,)(?=,|$)/g)!;
    assert.is(a.length, b.length);
    a.forEach((cell, j) => {
      const [x, y] = [Number(cell), Number(b[j])];
      if (cell === b[j] || !Number.isFinite(y)) assert.is(cell, b[j], `${label} CSV line ${i + 1} cell ${j}`);
      else assert.ok(Math.abs(x - y) <= 1e-12 * Math.max(Math.abs(y), 1e-3), `${label} CSV line ${i + 1} cell ${j}: ${cell} vs ${b[j]}`);
    });
  });
}

const k8s = suite('cluster: Kubernetes Indexed Job');
const docs = (f: string) => parseAllDocuments(readFileSync(path.join(ex, 'kubernetes', f), 'utf8')).map((d) => {
  assert.equal(d.errors, [], `${f}: YAML errors`);
  return d.toJS() as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
});
k8s('the manifests: an Indexed batch/v1 Job on a ReadWriteMany claim, SHARDS = completions, a reduce Job', () => {
  const [pvc] = docs('volume.yaml');
  assert.is(pvc.apiVersion, 'v1');
  assert.is(pvc.kind, 'PersistentVolumeClaim');
  assert.ok(pvc.spec.accessModes.includes('ReadWriteMany'), 'every shard mounts the volume at once');
  for (const [file, indexed] of [['sweep-job.yaml', true], ['reduce-job.yaml', false]] as const) {
    const [job] = docs(file);
    assert.is(job.apiVersion, 'batch/v1', file);
    assert.is(job.kind, 'Job', file);
    assert.type(job.metadata.name, 'string');
    const pod = job.spec.template.spec;
    assert.ok(['Never', 'OnFailure'].includes(pod.restartPolicy), `${file}: a Job's restartPolicy`);
    assert.is(pod.containers.length, 1);
    const c = pod.containers[0];
    assert.type(c.image, 'string');
    for (const s of [...c.command, ...c.args]) assert.type(s, 'string');
    for (const e of c.env ?? []) assert.ok(typeof e.name === 'string' && typeof e.value === 'string', `${file}: env ${e.name}`);
    const mount = c.volumeMounts[0];
    const vol = pod.volumes.find((v: { name: string }) => v.name === mount.name);
    assert.ok(vol, `${file}: volumeMount ${mount.name} has a volume`);
    assert.is(vol.persistentVolumeClaim.claimName, pvc.metadata.name, `${file}: the shared claim`);
    if (indexed) {
      assert.is(job.spec.completionMode, 'Indexed');
      assert.ok(Number.isInteger(job.spec.completions) && job.spec.completions >= 1);
      assert.ok(Number.isInteger(job.spec.parallelism) && job.spec.parallelism <= job.spec.completions);
      const shards = c.env.find((e: { name: string }) => e.name === 'SHARDS');
      assert.is(Number(shards.value), job.spec.completions, 'SHARDS must equal completions');
      assert.match(c.args.join(' '), /--shard "auto\/\$SHARDS"/);
      assert.match(c.args.join(' '), /\$JOB_COMPLETION_INDEX/);
    } else {
      assert.match(c.args.join(' '), /ctlkit reduce \/data\/parts\/part_\*\.json --out/);
    }
  }
});
k8s('run locally: 8 pods as processes, 4 at once, then the reduce Job = the unsharded sweep', async () => {
  const dir = volume('k8s');
  const [job] = docs('sweep-job.yaml') as JobDoc[];
  const sweep = await runPool(jobTasks(job, { data: dir }, { ...env, BATCH }), 4);
  sweep.runs.forEach((r, i) => assert.is(r.code, 0, `pod ${i}: ${r.stderr}`));
  assert.is(sweep.maxConcurrent, 4, 'four shards at once');
  sweep.runs.forEach((r, i) => assert.match(r.stdout, new RegExp(`^shard ${i}/8: samples \\[${i * 32}, ${(i + 1) * 32}\\) of 256`)));
  assert.is(readdirSync(path.join(dir, 'parts')).length, 8);
  const [reduce] = docs('reduce-job.yaml') as JobDoc[];
  const red = await runPool(jobTasks(reduce, { data: dir }, env), 1);
  assert.is(red.runs[0].code, 0, red.runs[0].stderr);
  // the container's env sets BATCH (it wins over the runner's, as in a real pod): the same chunks
  const podBatch = (job.spec.template.spec.containers[0].env ?? []).find((e: { name: string }) => e.name === 'BATCH')?.value ?? BATCH;
  checkReduced(dir, await unsharded(dir, podBatch), 'kubernetes, 8 pods');
});
k8s.run();

const slurm = suite('cluster: Slurm array');
slurm('bash -n of every script', () => {
  for (const f of ['sweep.sbatch', 'reduce.sbatch', 'submit.sh']) {
    const r = spawnSync('bash', ['-n', path.join(ex, 'slurm', f)], { encoding: 'utf8' });
    assert.is(r.status, 0, `${f}: ${r.stderr}`);
  }
});
slurm('run locally: the array as 8 processes, 4 at once, then reduce.sbatch = the unsharded sweep; a missing part is refused', async () => {
  const dir = volume('slurm');
  const file = path.join(ex, 'slurm', 'sweep.sbatch');
  const sweep = await runPool(slurmTasks(file, readFileSync(file, 'utf8'), { ...env, DATA: dir, BATCH }), 4);
  sweep.runs.forEach((r, i) => assert.is(r.code, 0, `task ${i}: ${r.stderr}`));
  assert.is(sweep.maxConcurrent, 4);
  const reduce = spawnSync('bash', [path.join(ex, 'slurm', 'reduce.sbatch')], { env: { ...env, DATA: dir }, encoding: 'utf8' });
  assert.is(reduce.status, 0, reduce.stderr);
  checkReduced(dir, await unsharded(dir), 'slurm, 8 array tasks');
  unlinkSync(path.join(dir, 'parts', 'part_5.json'));
  const bad = spawnSync('bash', [path.join(ex, 'slurm', 'reduce.sbatch')], { env: { ...env, DATA: dir }, encoding: 'utf8' });
  assert.is(bad.status, 1);
  assert.is(bad.stderr, 'ctlkit: missing part: --shard 5/8 (samples [160, 192), rows [0, 11)) is not among the 7 parts\n');
});
slurm.run();

const cli = suite('cluster: CLI refusals');
const ctl = (...args: string[]) => spawnSync(path.join(bin, 'ctlkit'), args, { encoding: 'utf8', env: { ...env, SLURM_ARRAY_TASK_ID: '', JOB_COMPLETION_INDEX: '' } });
cli('--shard needs --out, refuses --csv and auto without an index; reduce refuses a results.json', () => {
  const mlp = (f: string) => path.join(repoRoot, 'test', 'fixtures', 'sweeps', 'mlp', f);
  const base = ['sweep', '--interpolate', mlp('ft_a.safetensors'), mlp('ft_b.safetensors'), '--inputs', mlp('inputs.safetensors'), '--backend', 'reference'];
  const cases: [string[], string][] = [
    [[...base, '--shard', '0/2'], 'ctlkit: --shard: missing --out <part.json> (a shard writes a partial for ctlkit reduce)\n'],
    [[...base, '--rows', '0/2', '--out', path.join(tmp, 'p.json'), '--csv', path.join(tmp, 'p.csv')], 'ctlkit: --rows: --csv goes with the unsharded sweep or with ctlkit reduce, not with a shard\n'],
    [[...base, '--shard', 'auto/2', '--out', path.join(tmp, 'p.json')], "ctlkit: --shard: 'auto' needs $SLURM_ARRAY_TASK_ID or $JOB_COMPLETION_INDEX to be set (neither is)\n"],
    [[...base, '--shard', '2/2', '--out', path.join(tmp, 'p.json')], 'ctlkit: --shard: shard index must be an integer in 0..1, got 2\n'],
  ];
  for (const [args, want] of cases) {
    const r = ctl(...args);
    assert.is(r.status, 1, args.join(' '));
    assert.is(r.stderr, want);
  }
  const full = path.join(tmp, 'full.json');
  assert.is(ctl(...base, '--out', full).status, 0);
  const r = ctl('reduce', full);
  assert.is(r.status, 1);
  assert.match(r.stderr, /^ctlkit: .*full\.json: not a ctlkit sweep partial/);
  const cut = path.join(tmp, 'cut.json');
  assert.is(ctl(...base, '--shard', '0/1', '--out', cut).status, 0);
  const text = readFileSync(cut, 'utf8');
  rmSync(cut);
  spawnSync('sh', ['-c', `head -c ${Math.floor(text.length / 2)} > "${cut}"`], { input: text });
  assert.match(ctl('reduce', cut).stderr, /^ctlkit: .*cut\.json: not valid JSON \(.*\); a partial cut short\?\n$/);
});
cli.after(() => rmSync(tmp, { recursive: true, force: true }));
cli.run();
