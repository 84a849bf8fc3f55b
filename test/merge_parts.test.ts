// One merge over N machines (issue 17): `merge --tensors K/N` parts + finishMerge give the folder of
// the one-machine merge at the same --shard-size byte for byte (every file: tensor shards, index,
// config.json, ctlkit_merge.yml), for N ∈ {1, 2, 3, 7} (6 files in F32, 3 in BF16: N > files leaves empty parts)
// and linear, ties, dare_ties, dare_linear, della (random methods: per-tensor streams); parts run
// as separate processes, four at once; every refusal is one line naming the part.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { merge, type MergeRunOptions } from '../src/merge/run.js';
import { finishMerge } from '../src/merge/finish.js';
import { assignFiles, partsDir } from '../src/merge/parts.js';
import { loadMergeAddon } from '../src/merge/native.js';
import { ctlkitShim, runPool } from './harness/cluster.js';
import { fixture } from './harness/paths.js';
import { rejection } from './harness/errors.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ctl-merge-parts-'));
const root = fixture('merge');
const bin = path.join(ctlkitShim(dir), 'ctlkit');
const yml = (c: string) => readFileSync(path.join(root, `${c}.yml`), 'utf8');
const addon = loadMergeAddon(process.env.CTLKIT_REQUIRE_BACKENDS?.includes('native') ?? false);
const SHARD = '300B'; // the fixtures' 16 tensors in 6 files
const opts = (out: string, extra: Partial<MergeRunOptions> = {}): MergeRunOptions => ({ out: path.join(dir, out), baseDir: root, shardSize: SHARD, seed: 7, configName: 'm.yml', ...extra });

/** Same file names, every file the same bytes. */
function sameFolder(got: string, want: string, what: string): void {
  const names = readdirSync(want).sort();
  assert.equal(readdirSync(got).sort(), names, `${what}: file names`);
  for (const n of names) assert.ok(readFileSync(path.join(got, n)).equals(readFileSync(path.join(want, n))), `${what}: ${n} differs`);
}

const layout = suite('merge parts: layout and assignment');
layout('files go to parts in contiguous runs balanced by bytes; T ≤ N gives file i to part i', () => {
  assert.equal(assignFiles([{ bytes: 5 }, { bytes: 5 }, { bytes: 5 }], 7), [0, 1, 2]);
  assert.equal(assignFiles(Array.from({ length: 8 }, () => ({ bytes: 10 })), 4), [0, 0, 1, 1, 2, 2, 3, 3]);
  assert.equal(assignFiles([{ bytes: 1 }, { bytes: 1 }, { bytes: 10 }, { bytes: 1 }, { bytes: 1 }], 3), [0, 0, 1, 2, 2]);
  assert.equal(assignFiles([{ bytes: 0 }, { bytes: 0 }, { bytes: 0 }, { bytes: 0 }], 2), [0, 0, 1, 1]);
  // 29 files of 5 GB and a 2 GB one (a 70B BF16 merge) over 8 machines: within one file of 1/8 each
  const files = [...Array.from({ length: 29 }, () => ({ bytes: 5e9 })), { bytes: 2e9 }];
  const owner = assignFiles(files, 8);
  const per = Array.from({ length: 8 }, (_, k) => files.filter((_, i) => owner[i] === k).reduce((s, f) => s + f.bytes, 0));
  owner.forEach((k, i) => assert.ok(i === 0 || k === owner[i - 1] || k === owner[i - 1] + 1, 'contiguous'));
  const total = files.reduce((s, f) => s + f.bytes, 0);
  for (const b of per) assert.ok(Math.abs(b - total / 8) <= 5e9, `${per}`);
});
layout.run();

const exact = suite('merge parts: N parts + finish = the one-machine folder, byte for byte');
const CASES = ['linear', 'ties', 'dare_ties', 'dare_linear', 'della'];
for (const c of CASES) {
  exact(`${c}: N = 1, 2, 3, 7 (parts in parallel in this process)`, async () => {
    const whole = await merge(yml(c), opts(`${c}-whole`));
    const T = whole.files.filter((f) => f.startsWith('model-')).length;
    assert.ok(T >= 3, `${T} files`);
    for (const N of [1, 2, 3, 7]) {
      const out = `${c}-${N}`;
      const rs = await Promise.all(Array.from({ length: N }, (_, k) => merge(yml(c), opts(out, { tensors: { index: k, count: N } }))));
      assert.is(rs.reduce((s, r) => s + r.tensors, 0), whole.tensors, 'every tensor merged once');
      assert.is(rs.reduce((s, r) => s + r.part!.files, 0), T);
      if (N > T) assert.is(rs[N - 1].part!.files, 0, 'more parts than files: the last parts are empty');
      assert.not.ok(existsSync(path.join(dir, out)), 'nothing at --out before the finish');
      const f = await finishMerge(path.join(dir, out));
      assert.equal(f.files, whole.files);
      assert.is(f.placed, 'link');
      sameFolder(path.join(dir, out), path.join(dir, `${c}-whole`), `${c} N=${N}`);
      assert.not.ok(existsSync(partsDir(path.join(dir, out))), 'the parts are removed');
    }
  });
}
exact('one output file (default --shard-size), 3 parts: part 0 writes model.safetensors, parts 1 and 2 are empty', async () => {
  await merge(yml('ties'), opts('one-whole', { shardSize: undefined }));
  const rs = await Promise.all([0, 1, 2].map((k) => merge(yml('ties'), opts('one', { shardSize: undefined, tensors: { index: k, count: 3 } }))));
  assert.equal(rs.map((r) => r.part!.files), [1, 0, 0]);
  await finishMerge(path.join(dir, 'one'));
  sameFolder(path.join(dir, 'one'), path.join(dir, 'one-whole'), 'one file');
  assert.not.ok(existsSync(path.join(dir, 'one', 'model.safetensors.index.json')));
});
exact('reference kernels: dare_ties in 3 parts = its one-machine merge', async () => {
  await merge(yml('dare_ties'), opts('ref-whole', { backend: 'reference' }));
  await Promise.all([0, 1, 2].map((k) => merge(yml('dare_ties'), opts('ref', { backend: 'reference', tensors: { index: k, count: 3 } }))));
  await finishMerge(path.join(dir, 'ref'));
  sameFolder(path.join(dir, 'ref'), path.join(dir, 'ref-whole'), 'reference');
});
exact('a part run again replaces its folder; the finish is unchanged', async () => {
  for (const k of [0, 1, 2, 1]) await merge(yml('ties'), opts('rerun', { tensors: { index: k, count: 3 } }));
  await finishMerge(path.join(dir, 'rerun'));
  sameFolder(path.join(dir, 'rerun'), path.join(dir, 'ties-whole'), 'rerun');
});
exact.run();

const procs = suite('merge parts: separate processes, four at once (CLI)');
procs('ties and dare_ties: 7 parts as processes (auto/7 from $SLURM_ARRAY_TASK_ID), then merge --finish', async () => {
  for (const c of ['ties', 'dare_ties']) {
    const cfg = path.join(dir, `${c}.yml`);
    writeFileSync(cfg, yml(c));
    const out = path.join(dir, `${c}-procs`);
    const tasks = Array.from({ length: 7 }, (_, k) => ({
      cmd: bin,
      args: ['merge', '--config', cfg, '--out', out, '--tensors', 'auto/7', '--shard-size', SHARD, '--seed', '7'],
      env: { ...process.env, SLURM_ARRAY_TASK_ID: String(k), JOB_COMPLETION_INDEX: '' },
    }));
    // model paths in the config are relative: the parts run in the fixture folder
    const pool = await runPool(tasks.map((t) => ({ ...t, cmd: 'sh', args: ['-c', `cd "${root}" && exec "${bin}" "$@"`, 'sh', ...t.args] })), 4);
    pool.runs.forEach((r, k) => {
      assert.is(r.code, 0, `part ${k}: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^part ${k}/7: `));
    });
    assert.is(pool.maxConcurrent, 4);
    assert.match(pool.runs[6].stdout, /^part 6\/7: no files \(the merge writes 6 files at this --shard-size/);
    const fin = spawnSync(bin, ['merge', '--finish', '--out', out], { encoding: 'utf8' });
    assert.is(fin.status, 0, fin.stderr);
    assert.match(fin.stdout, /: 16 tensors from 7 parts \(hard-linked\), files config\.json, ctlkit_merge\.yml, model-00001-of-00006\.safetensors/);
    sameFolder(out, path.join(dir, `${c}-whole`), `${c} processes`);
  }
});
procs.run();

const refuse = suite('merge parts: refusals, one line naming the part');
/** Parts 0..N-1 of `c` into `out` (in this process). */
const parts = (c: string, out: string, N: number, extra: Partial<MergeRunOptions> = {}) =>
  Promise.all(Array.from({ length: N }, (_, k) => merge(yml(c), opts(out, { ...extra, tensors: { index: k, count: N } }))));
const staged = (out: string) => partsDir(path.join(dir, out));
const refused = async (out: string, want: string | RegExp) => {
  const msg = await rejection(finishMerge(path.join(dir, out)));
  if (typeof want === 'string') assert.is(msg, want);
  else assert.match(msg, want);
  assert.not.ok(msg.includes('\n'), msg);
  assert.not.ok(existsSync(path.join(dir, out)), 'no output folder');
  assert.equal(readdirSync(dir).filter((f) => f.startsWith(`${out}.tmp-`)), [], 'no temporary folder');
};
refuse('missing part (with files, and an empty one)', async () => {
  await parts('ties', 'miss', 3);
  rmSync(path.join(staged('miss'), 'part-1-of-3'), { recursive: true });
  await refused('miss', `missing part: --tensors 1/3 (2 files: model-00003-of-00006.safetensors … model-00004-of-00006.safetensors) is not among the 2 parts in ${staged('miss')}`);
  await parts('ties', 'miss7', 7);
  rmSync(path.join(staged('miss7'), 'part-6-of-7'), { recursive: true });
  await refused('miss7', `missing part: --tensors 6/7 (no files: an empty part) is not among the 6 parts in ${staged('miss7')}`);
  await refused('nothing', /^.*nothing: no parts to finish \(.*nothing\.ctlkit-parts: .*; run ctlkit merge --config … --out .*nothing --tensors K\/N first\)$/);
});
refuse('duplicated part: a copied part folder; parts of a 2-part and a 3-part run', async () => {
  await parts('ties', 'dup', 3);
  rmSync(path.join(staged('dup'), 'part-2-of-3'), { recursive: true });
  cpSync(path.join(staged('dup'), 'part-0-of-3'), path.join(staged('dup'), 'part-2-of-3'), { recursive: true });
  await refused('dup', `duplicated part: ${path.join(staged('dup'), 'part-2-of-3')} holds part 0/3 (a copy of part-0-of-3?); remove it`);
  await parts('ties', 'dup2', 3);
  await merge(yml('ties'), opts('dup2', { tensors: { index: 0, count: 2 } }));
  await refused('dup2', 'duplicated part: model-00001-of-00006.safetensors is in both part-0-of-2 and part-0-of-3 (parts of runs with different N; remove one run\'s parts)');
});
refuse('foreign part: another seed, another config, other kernels; a damaged file', async () => {
  await parts('dare_ties', 'seed', 3);
  await merge(yml('dare_ties'), opts('seed', { seed: 8, tensors: { index: 1, count: 3 } }));
  await refused('seed', `foreign part: ${path.join(staged('seed'), 'part-1-of-3')} is from another merge (--seed: 8 here, 7 in part-0-of-3); remove it or run that part again`);
  await parts('ties', 'cfg', 3);
  await merge(yml('ties').replace('density: 0.5', 'density: 0.4'), opts('cfg', { tensors: { index: 2, count: 3 } }));
  await refused('cfg', new RegExp(`^foreign part: .*part-2-of-3 is from another merge \\(merge config: sha256 [0-9a-f]{12}… here, sha256 [0-9a-f]{12}… in part-0-of-3\\); remove it or run that part again$`));
  if (addon) {
    await parts('ties', 'kern', 3);
    await merge(yml('ties'), opts('kern', { backend: 'reference', tensors: { index: 0, count: 3 } }));
    await refused('kern', new RegExp(`^foreign part: .*part-0-of-3 is from another merge \\(kernels: "reference" here, "native" in part-1-of-3\\)`));
    // a node whose kernels take the generic path (no AVX2) joins: every ISA level's merge kernels give
    // the same bytes (test/merge_isa.test.ts), so the finished folder is the one-machine one
    await parts('ties', 'isa', 3);
    const cfg = path.join(dir, 'isa.yml');
    writeFileSync(cfg, yml('ties'));
    const r = spawnSync(bin, ['merge', '--config', cfg, '--out', path.join(dir, 'isa'), '--tensors', '1/3', '--shard-size', SHARD, '--seed', '7'], { cwd: root, encoding: 'utf8', env: { ...process.env, CTLKIT_ISA: 'generic' } });
    assert.is(r.status, 0, r.stderr);
    await finishMerge(path.join(dir, 'isa'));
    const whole = await merge(yml('ties'), opts('isa-whole'));
    sameFolder(path.join(dir, 'isa'), whole.out, 'a generic-ISA part');
  }
  await parts('ties', 'cut', 3);
  const f = path.join(staged('cut'), 'part-1-of-3', 'model-00004-of-00006.safetensors');
  const size = statSync(f).size;
  truncateSync(f, size - 4);
  await refused('cut', `${f}: ${size - 4} bytes, expected ${size} (a damaged part: run --tensors 1/3 again)`);
});
refuse('every part validates the whole config before reading a weight; a part refuses a finished folder', async () => {
  // the bad density is on lm_head.bias, in part 0's files: part 2 refuses it too, and writes nothing
  const bad = yml('ties').replace('density: 0.5', 'density: [{filter: lm_head, value: 1.5}, {value: 0.5}]');
  assert.not.equal(bad, yml('ties'));
  const msg = await rejection(merge(bad, opts('early', { tensors: { index: 2, count: 3 } })));
  assert.match(msg, /m\.yml: models\[0\]\.parameters\.density \(tensor "lm_head\.bias"\): must be in \[0, 1\], got 1\.5/);
  assert.not.ok(existsSync(staged('early')));
  const m = await rejection(merge(yml('ties'), opts('ties-whole', { tensors: { index: 0, count: 2 } })));
  assert.match(m, /ties-whole: the folder exists and is not empty \(a finished merge\?\); parts go to .*ties-whole\.ctlkit-parts, choose a new --out$/);
});
refuse('CLI: --tensors needs --config and a valid K/N; --finish takes only --out', () => {
  const cfg = path.join(dir, 'ties.yml');
  const cases: [string[], string][] = [
    [['--average', path.join(root, 'a'), path.join(root, 'b'), '--out', path.join(dir, 'x'), '--tensors', '0/2'], 'ctlkit: --tensors goes with --config (a merge of one huge model over N machines)\n'],
    [['--config', cfg, '--out', path.join(dir, 'x'), '--tensors', '2/2'], 'ctlkit: --tensors: shard index must be an integer in 0..1, got 2\n'],
    [['--config', cfg, '--out', path.join(dir, 'x'), '--tensors', 'auto/2'], "ctlkit: --tensors: 'auto' needs $SLURM_ARRAY_TASK_ID or $JOB_COMPLETION_INDEX to be set (neither is)\n"],
    [['--finish', '--config', cfg, '--out', path.join(dir, 'x')], 'ctlkit: --finish: takes only --out (the parts hold the rest); drop --config\n'],
  ];
  for (const [args, want] of cases) {
    const r = spawnSync(bin, ['merge', ...args], { encoding: 'utf8', cwd: root, env: { ...process.env, SLURM_ARRAY_TASK_ID: '', JOB_COMPLETION_INDEX: '' } });
    assert.is(r.status, 1, args.join(' '));
    assert.is(r.stderr, want);
  }
});
refuse.after(() => rmSync(dir, { recursive: true, force: true }));
refuse.run();
