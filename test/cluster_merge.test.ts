// examples/cluster/ merge variants run locally (issue 17: one huge merge over N machines): the
// Kubernetes merge Jobs pass the schema check of the fields an Indexed Job needs, the Slurm merge
// scripts pass `bash -n`, and the runner of harness/cluster.ts starts the 8 parts as separate
// processes, four at once, then the finish step; the folder equals the one-machine merge byte for
// byte. A lost part is refused by the finish, and running that one task again repairs it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { merge } from '../src/merge/run.js';
import { ctlkitShim, jobTasks, runPool, slurmTasks, type JobDoc } from './harness/cluster.js';
import { fixture, repoRoot } from './harness/paths.js';

const ex = path.join(repoRoot, 'examples', 'cluster');
const tmp = mkdtempSync(path.join(tmpdir(), 'ctl-cluster-merge-'));
const bin = ctlkitShim(tmp);
const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`, SLURM_ARRAY_TASK_ID: '', JOB_COMPLETION_INDEX: '' };
const SHARD_SIZE = '200B'; // the fixtures' ties merge in 9 files, so that 8 parts all have work
const config = readFileSync(fixture('merge', 'ties.yml'), 'utf8');

/** The shared volume as the examples expect it: the checkpoints and merge.yml (paths relative to it). */
function volume(name: string): string {
  const dir = path.join(tmp, name);
  mkdirSync(dir);
  for (const m of ['base', 'a', 'b', 'c']) cpSync(fixture('merge', m), path.join(dir, m), { recursive: true });
  writeFileSync(path.join(dir, 'merge.yml'), config);
  return dir;
}

/** The merge the examples describe, on one machine in this process, compared file by file. */
async function checkMerged(dir: string, label: string): Promise<void> {
  const whole = path.join(tmp, `${label}-whole`);
  const r = await merge(config, { out: whole, baseDir: dir, shardSize: SHARD_SIZE, seed: 0 });
  assert.ok(r.files.filter((f) => f.startsWith('model-')).length >= 8, r.files.join(', '));
  const got = path.join(dir, 'merged');
  assert.equal(readdirSync(got).sort(), r.files, `${label}: files`);
  for (const f of r.files) assert.ok(readFileSync(path.join(got, f)).equals(readFileSync(path.join(whole, f))), `${label}: ${f} differs`);
  assert.not.ok(readdirSync(dir).includes('merged.ctlkit-parts'), 'parts removed');
  console.log(`  ${label}: ${r.files.length} files identical to the one-machine merge`);
}

const docs = (f: string) => parseAllDocuments(readFileSync(path.join(ex, 'kubernetes', f), 'utf8')).map((d) => {
  assert.equal(d.errors, [], `${f}: YAML errors`);
  return d.toJS() as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
});

const k8s = suite('cluster merge: Kubernetes Indexed Job');
k8s('the manifests: an Indexed batch/v1 Job of parts (SHARDS = completions) on the shared claim, a finish Job', () => {
  const [pvc] = docs('volume.yaml');
  for (const [file, indexed] of [['merge-job.yaml', true], ['merge-finish-job.yaml', false]] as const) {
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
    assert.is(vol.persistentVolumeClaim.claimName, pvc.metadata.name, `${file}: the shared claim`);
    if (indexed) {
      assert.is(job.spec.completionMode, 'Indexed');
      assert.ok(Number.isInteger(job.spec.completions) && job.spec.completions >= 1);
      assert.ok(Number.isInteger(job.spec.parallelism) && job.spec.parallelism <= job.spec.completions);
      assert.is(Number(c.env.find((e: { name: string }) => e.name === 'SHARDS').value), job.spec.completions, 'SHARDS must equal completions');
      assert.match(c.args.join(' '), /ctlkit merge --config merge\.yml --out \/data\/merged .*--tensors "auto\/\$SHARDS"/);
    } else {
      assert.match(c.args.join(' '), /ctlkit merge --finish --out \/data\/merged$/);
    }
  }
});
k8s('run locally: 8 pods as processes, 4 at once, then the finish Job = the one-machine merge', async () => {
  const dir = volume('k8s');
  const [job] = docs('merge-job.yaml') as JobDoc[];
  // the pod's SHARD_SIZE (5GB: one file for these tiny checkpoints) set as a user would for them
  job.spec.template.spec.containers[0].env!.find((e) => e.name === 'SHARD_SIZE')!.value = SHARD_SIZE;
  const parts = await runPool(jobTasks(job, { data: dir }, env), 4);
  parts.runs.forEach((r, i) => {
    assert.is(r.code, 0, `pod ${i}: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`^part ${i}/8: [12] of \\d+ files`));
  });
  assert.is(parts.maxConcurrent, 4, 'four parts at once');
  assert.is(readdirSync(path.join(dir, 'merged.ctlkit-parts')).length, 8);
  const [finish] = docs('merge-finish-job.yaml') as JobDoc[];
  const fin = await runPool(jobTasks(finish, { data: dir }, env), 1);
  assert.is(fin.runs[0].code, 0, fin.runs[0].stderr);
  await checkMerged(dir, 'kubernetes, 8 pods');
});
k8s.run();

const slurm = suite('cluster merge: Slurm array');
slurm('bash -n of every merge script', () => {
  for (const f of ['merge.sbatch', 'merge-finish.sbatch', 'submit-merge.sh']) {
    const r = spawnSync('bash', ['-n', path.join(ex, 'slurm', f)], { encoding: 'utf8' });
    assert.is(r.status, 0, `${f}: ${r.stderr}`);
  }
});
slurm('run locally: 8 array tasks, 4 at once; a lost part is refused, its task run again, then the finish = the one-machine merge', async () => {
  const dir = volume('slurm');
  const file = path.join(ex, 'slurm', 'merge.sbatch');
  const tasks = slurmTasks(file, readFileSync(file, 'utf8'), { ...env, DATA: dir, SHARD_SIZE });
  const parts = await runPool(tasks, 4);
  parts.runs.forEach((r, i) => assert.is(r.code, 0, `task ${i}: ${r.stderr}`));
  assert.is(parts.maxConcurrent, 4);
  const staged = path.join(dir, 'merged.ctlkit-parts');
  rmSync(path.join(staged, 'part-3-of-8'), { recursive: true });
  const finish = () => spawnSync('bash', [path.join(ex, 'slurm', 'merge-finish.sbatch')], { env: { ...env, DATA: dir }, encoding: 'utf8' });
  const bad = finish();
  assert.is(bad.status, 1);
  assert.match(bad.stderr, new RegExp(`^ctlkit: missing part: --tensors 3/8 \\(model-\\d{5}-of-\\d{5}\\.safetensors\\) is not among the 7 parts in ${staged.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n$`));
  const again = await runPool([tasks[3]], 1); // scontrol requeue of task 3
  assert.is(again.runs[0].code, 0, again.runs[0].stderr);
  const ok = finish();
  assert.is(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /merged: 16 tensors from 8 parts \(hard-linked\)/);
  await checkMerged(dir, 'slurm, 8 array tasks');
});
slurm.after(() => rmSync(tmp, { recursive: true, force: true }));
slurm.run();
