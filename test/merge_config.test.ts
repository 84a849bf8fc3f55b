// Config validation (one-line errors naming the key, before any weight is read), parameter
// precedence, the HF folder (shards + index, config.json, tokenizer files, ctlkit_merge.yml),
// atomicity and abort, progress, and the old combination flags writing a folder.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { merge } from '../src/merge/run.js';
import { parseMergeConfig, evaluateSetting } from '../src/merge/config.js';
import { openCheckpoint } from '../src/io/checkpoint.js';
import { writeSafetensors } from '../src/io/writer.js';
import { parseSize } from '../src/io/sharded_writer.js';
import { fixture, repoRoot } from './harness/paths.js';
import { rejection } from './harness/errors.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ctl-merge-cfg-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const root = dir;
for (const m of ['base', 'a', 'b']) cpSync(fixture('merge', m), path.join(root, m), { recursive: true });
writeFileSync(path.join(root, 'base', 'tokenizer.json'), '{"model": "tok"}');
const out = (n: string) => path.join(dir, n);
const run = (yml: string, o: string, extra = {}) => merge(yml, { out: out(o), baseDir: root, configName: 'm.yml', ...extra });
const TIES = 'merge_method: ties\nbase_model: base\nmodels:\n  - {model: a, parameters: {weight: 0.5, density: 0.5}}\n  - {model: b, parameters: {weight: 0.5, density: 0.5}}\n';

test('config errors are one line naming the key, and leave no output', async () => {
  const cases: [string, RegExp][] = [
    ['merge_method: dare-ties\nbase_model: base\nmodels: [{model: a}]\n', /m\.yml: merge_method: unknown method 'dare-ties' \(did you mean 'dare_ties'\?\)/],
    [TIES.replace('density: 0.5}}\n  - {model: b', 'densty: 0.5}}\n  - {model: b'), /m\.yml: models\[0\]\.parameters\.densty: unknown parameter for ties \(did you mean 'density'\?\)/],
    [TIES.replace('base_model: base\n', ''), /m\.yml: base_model: required by ties/],
    [TIES.replace('{weight: 0.5, density: 0.5}}\n  - {model: b, parameters: {weight: 0.5,', '{weight: 0.5, density: 0.5}}\n  - {model: b, parameters: {'), /m\.yml: models\[1\]\.parameters\.weight: required by ties \(tensor "/],
    [TIES.replace('density: 0.5}}\n  - {model: b', 'density: 1.5}}\n  - {model: b'), /models\[0\]\.parameters\.density \(tensor ".*"\): must be in \[0, 1\], got 1\.5/],
    [TIES.replace('model: b,', 'model: nowhere,'), /m\.yml: model nowhere: .*nowhere: cannot open checkpoint/],
    [TIES + 'merge-method: ties\n', /m\.yml: unknown key 'merge-method' \(did you mean 'merge_method'\?\)/],
    ['merge_method: slerp\nbase_model: base\nmodels: [{model: base}, {model: a}]\n', /m\.yml: parameters\.t: required by slerp/],
    ['merge_method: slerp\nbase_model: base\nparameters: {t: 0.5}\nmodels: [{model: a}, {model: b}]\n', /m\.yml: models: slerp merges 1 model\(s\) besides the base, got 2/],
    ['merge_method: ties\nbase_model: base\nparameters: {sign_election: papers}\nmodels: [{model: a, parameters: {weight: 1}}]\n', /parameters\.sign_election \(tensor ".*"\): expected 'mergekit' or 'paper', got "papers"/],
    ['merge_method: linear\nmodels: [{model: a, parameters: {weight: [{value: 1}, {x: 2}]}}]\n', /models\[0\]\.parameters\.weight\[1\]: unknown key 'x'/],
    ['merge_method: ties\nbase_model: base\nmodels: [{model: a, parameters: {weight: 1}}]\n  bad: [\n', /m\.yml: not valid YAML/],
  ];
  for (const [yml, re] of cases) {
    const msg = await rejection(run(yml, 'never'));
    assert.ok(re.test(msg), `${msg}\n  does not match ${re}`);
    assert.not.ok(msg.includes('\n'), `one line: ${msg}`);
    assert.not.ok(existsSync(out('never')), 'no output folder');
  }
  assert.equal(readdirSync(dir).filter((f) => f.includes('.tmp-')), [], 'no temporary folders left');
});

test('shape mismatch is found from the headers, naming the model and tensor', async () => {
  mkdirSync(path.join(root, 'odd'));
  await writeSafetensors(path.join(root, 'odd', 'model.safetensors'), { 'model.norm.weight': { dtype: 'float32', shape: [4], data: new Float32Array(4) } });
  const yml = 'merge_method: task_arithmetic\nbase_model: base\nmodels: [{model: odd, parameters: {weight: 1}}]\n';
  const msg = await rejection(run(yml, 'never'));
  assert.match(msg, /m\.yml: models\[0\]: (odd has no tensor "lm_head\.bias"|tensor "model\.norm\.weight" of odd is \[4\], expected \[5\])/);
});

test('parameters: per-model over global (a per-model 0 does not fall through), gradients, filters', () => {
  assert.is(evaluateSetting([0, 1, 3], 'x', 0.75), 2);
  assert.is(evaluateSetting([{ filter: 'mlp', value: 0.1 }, { value: [0, 1] }], 'model.layers.1.attn', 0.5), 0.5);
  assert.is(evaluateSetting([{ filter: 'mlp', value: 0.1 }], 'model.layers.1.attn', 0.5), undefined);
  assert.is(evaluateSetting(0, 'x', 0.3), 0);
});

test('per-model weight 0 is used, not the global weight', async () => {
  const yml = 'merge_method: task_arithmetic\nbase_model: base\nparameters: {weight: 1}\nmodels: [{model: a, parameters: {weight: 0}}]\n';
  await run(yml, 'zero', { dtype: 'F32', backend: 'reference' });
  const got = await openCheckpoint(out('zero'));
  const base = await openCheckpoint(path.join(root, 'base'));
  assert.equal(Array.from((await got.read('model.norm.weight')).data as Float32Array), Array.from((await base.read('model.norm.weight')).data as Float32Array));
  await got.close();
  await base.close();
});

test('HF folder: shards + index, config.json with torch_dtype, tokenizer copied, config saved; same values as one file', async () => {
  const progress: number[] = [];
  const r = await run(TIES, 'sharded', { shardSize: '200B', dtype: 'bfloat16', onProgress: (p: { done: number }) => progress.push(p.done) });
  const files = readdirSync(out('sharded')).sort();
  assert.equal(r.files, files);
  const shards = files.filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f));
  assert.ok(shards.length > 2, files.join(', '));
  assert.ok(files.includes('model.safetensors.index.json') && files.includes('tokenizer.json') && files.includes('ctlkit_merge.yml'), files.join(', '));
  const index = JSON.parse(readFileSync(out('sharded/model.safetensors.index.json'), 'utf8'));
  assert.is(Object.keys(index.weight_map).length, r.tensors);
  assert.is(JSON.parse(readFileSync(out('sharded/config.json'), 'utf8')).torch_dtype, 'bfloat16');
  assert.is(readFileSync(out('sharded/ctlkit_merge.yml'), 'utf8'), TIES);
  parseMergeConfig(readFileSync(out('sharded/ctlkit_merge.yml'), 'utf8'));
  assert.equal(progress, Array.from({ length: r.tensors }, (_, i) => i + 1));
  await run(TIES, 'single', { dtype: 'bfloat16' });
  assert.ok(existsSync(out('single/model.safetensors')) && !existsSync(out('single/model.safetensors.index.json')));
  const a = await openCheckpoint(out('sharded')), b = await openCheckpoint(out('single'));
  let total = 0;
  for (const [name, info] of b.tensors) {
    assert.equal(Array.from((await a.read(name)).data as Float32Array), Array.from((await b.read(name)).data as Float32Array), name);
    total += info.shape.reduce((x, y) => x * y, 1) * (info.dtype === 'I64' ? 8 : 2);
  }
  assert.is(index.metadata.total_size, total);
  await a.close();
  await b.close();
  assert.match(await rejection(run(TIES, 'single')), /single: output folder exists and is not empty/);
});

test('abort: no folder, no temporary folder', async () => {
  const ac = new AbortController();
  const msg = await rejection(run(TIES, 'aborted', { onProgress: (p: { done: number }) => { if (p.done === 3) ac.abort(); }, signal: ac.signal }));
  assert.match(msg, /abort/i);
  assert.not.ok(existsSync(out('aborted')));
  assert.equal(readdirSync(dir).filter((f) => f.includes('.tmp-')), []);
});

test('parseSize', () => {
  assert.is(parseSize('5GB'), 5e9);
  assert.is(parseSize('1.5GiB'), 1.5 * 2 ** 30);
  assert.is(parseSize('1000'), 1000);
  assert.throws(() => parseSize('5 parsecs'), /--shard-size: expected a size like 5GB/);
});

test('CLI: --config into a folder; --average into a folder (the old flags)', () => {
  const cli = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');
  writeFileSync(out('m.yml'), TIES.replace(/model: (\w+)/g, (_, m) => `model: ${path.join(root, m)}`).replace('base_model: base', `base_model: ${path.join(root, 'base')}`));
  const r1 = spawnSync(process.execPath, [cli, 'merge', '--config', out('m.yml'), '--out', out('cli'), '--seed', '3', '--shard-size', '1KB'], { encoding: 'utf8' });
  assert.is(r1.status, 0, r1.stderr);
  assert.match(r1.stdout, /tensors .*model\.safetensors\.index\.json/);
  const r2 = spawnSync(process.execPath, [cli, 'merge', '--average', path.join(root, 'a'), path.join(root, 'b'), '--out', out('avg')], { encoding: 'utf8' });
  assert.is(r2.status, 0, r2.stderr);
  assert.ok(existsSync(out('avg/model.safetensors')), r2.stdout);
  const r3 = spawnSync(process.execPath, [cli, 'merge', '--config', out('m.yml'), '--out', out('cli2'), '--seed', 'x'], { encoding: 'utf8' });
  assert.match(r3.stderr, /--seed: expected an integer/);
});

test.run();
