// The issue's measured failures on malformed files, each pinned: the fuzz targets' seeds and every
// saved crash (test/fixtures/fuzz/<target>/) replayed; names elided and escaped; nesting, count,
// length and size limits; strict loading; validation before any backend; stale temporaries.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { openCheckpoint } from '../src/io/checkpoint.js';
import { readInputs } from '../src/io/inputs.js';
import { MAX_CONFIG_BYTES } from '../src/io/config.js';
import { loadModelConfig } from '../src/models/config.js';
import { MAX_NAME_CHARS, MAX_TENSORS } from '../src/io/safetensors.js';
import { MAX_JSON_DEPTH, findDuplicateKey } from '../src/io/json_strict.js';
import { isTempName, tempPathFor, writeFileAtomic } from '../src/io/atomic.js';
import { displayName, quoteName } from '../src/util/escape.js';
import { buildModel } from '../src/models/index.js';
import { checkStrictLoading } from '../src/models/params.js';
import type { TensorInfo } from '../src/io/types.js';
import { isCtlkitError } from '../fuzz/engine.js';
import { loadTarget, targetNames } from '../fuzz/registry.js';
import { repoRoot } from './harness/paths.js';
import { npyBytes, stBytes, tempDir, writeFile } from './harness/crafted.js';

const bin = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');
const ctlkit = (...args: string[]): { code: number | null; out: string; err: string } => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', maxBuffer: 256 * 2 ** 20 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const rejection = async (p: Promise<unknown>): Promise<Error> => {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
};
const dir = tempDir();
const f32 = (n: number): Uint8Array => new Uint8Array(4 * n);

test('fuzz seeds and saved crashes of every target end in success or a one-line ctlkit error', async () => {
  const names = targetNames();
  assert.ok(names.length >= 5, `targets: ${names.join(', ')}`);
  let replayed = 0;
  for (const name of names) {
    const target = await loadTarget(name);
    const saved = path.join(repoRoot, 'test/fixtures/fuzz', name);
    const inputs = [...target.seeds(), ...(fs.existsSync(saved) ? fs.readdirSync(saved).map((f) => fs.readFileSync(path.join(saved, f))) : [])];
    for (const input of inputs) {
      try {
        await target.fuzz(input);
      } catch (e) {
        assert.ok(isCtlkitError(e), `${name}: ${(e as Error)?.constructor?.name}: ${String((e as Error)?.message).slice(0, 300)}`);
      }
      replayed++;
    }
  }
  assert.ok(replayed >= 20, `replayed ${replayed}`);
});

test('inspect: a 10-million-character tensor name prints one elided row, not 868 MB of padding', () => {
  const name = 'w'.repeat(10_000_000);
  // over the name limit: refused in one short line
  const file = writeFile(dir, 'longname.safetensors', stBytes({ [name]: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(1)));
  const r = ctlkit('inspect', file);
  assert.is(r.code, 1);
  assert.match(r.err, new RegExp(`^ctlkit: .*longname\\.safetensors: tensor "w+…w+" \\(10000000 chars\\): name is 10000000 characters, over the limit of ${MAX_NAME_CHARS}\\n$`));
  assert.ok(r.err.length < 400, `${r.err.length} chars`);
  // at the limit: listed, the cell elided
  const ok = 'x'.repeat(MAX_NAME_CHARS);
  const file2 = writeFile(dir, 'atlimit.safetensors', stBytes({ [ok]: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32(2)));
  const r2 = ctlkit('inspect', file2);
  assert.is(r2.code, 0, r2.err);
  assert.match(r2.out, new RegExp(`x+…x+ \\(${MAX_NAME_CHARS} chars\\)\\s+F32\\s+\\[1\\]\\s+1`));
  assert.ok(r2.out.length < 2000, `${r2.out.length} chars`);
});

test('a header nested 10,000 levels deep is refused, naming the file (no stack overflow)', async () => {
  const deep = `{"a": ${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
  const file = writeFile(dir, 'deep.safetensors', stBytes(deep));
  const e = await rejection(openCheckpoint(file));
  assert.ok(isCtlkitError(e), e.message);
  assert.match(e.message, new RegExp(`deep\\.safetensors: safetensors header nests deeper than ${MAX_JSON_DEPTH} levels`));
  // the duplicate-key scan itself copes with any depth (no recursion)
  assert.equal(findDuplicateKey(`{"x":${'['.repeat(200_000)}{"k":1,"k":2}${']'.repeat(200_000)}}`), { path: ['x'], key: 'k' });
  const cfg = writeFile(dir, 'deep_config.json', deep);
  assert.match((await rejection(loadModelConfig(dir, cfg))).message, /deep_config\.json: model config nests deeper than 64 levels/);
});

test('names from files are escaped in messages: a newline cannot split the one-line error', async () => {
  const file = writeFile(dir, 'newline.safetensors', stBytes({ 'evil\nctlkit: all good\u202e': { dtype: 'X9', shape: [1], data_offsets: [0, 4] } }, f32(1)));
  const e = await rejection(openCheckpoint(file));
  assert.not.match(e.message, /[\n\u202e]/);
  assert.match(e.message, /tensor "evil\\nctlkit: all good\\u202e": unsupported dtype "X9"/);
  assert.is(quoteName('a"b\\c\u0000'), '"a\\"b\\\\c\\u0000"');
  assert.is(displayName('ab\ud83d\ude00cd'.repeat(50), 9), 'ab\ud83d\ude00…\ud83d\ude00cd (300 chars)');
  const r = ctlkit('inspect', file);
  assert.is(r.err.split('\n').length, 2, r.err); // one line and its newline
});

test('a 10 GB tensor claimed in a 1 KB file fails fast, before any allocation', async () => {
  const big = 10 * 2 ** 30;
  const file = writeFile(dir, 'claim.safetensors', stBytes({ w: { dtype: 'U8', shape: [big], data_offsets: [0, big] } }, new Uint8Array(900)));
  const t0 = performance.now();
  const e = await rejection(openCheckpoint(file));
  assert.ok(performance.now() - t0 < 500, `${performance.now() - t0} ms`);
  assert.match(e.message, /claim\.safetensors: data section has 900 bytes but the header describes 10737418240 \(file truncated/);
  const npy = writeFile(dir, 'claim.npy', npyBytes('<f4', [big], f32(4)));
  assert.match((await rejection(readInputs(npy))).message, /claim\.npy: .npy data has 16 bytes but shape \(10737418240\) of '<f4' needs 42949672960/);
  // a u32 header length of 4 GB in a tiny .npy
  const lie = Buffer.from(npyBytes('<f4', [1], f32(1)));
  lie.writeUInt32LE(0xffffffff, 8);
  lie[6] = 2;
  assert.match((await rejection(readInputs(writeFile(dir, 'lie.npy', lie)))).message, /lie\.npy: .npy header length 4294967295 runs past the end of the file|over the 65536-byte limit/);
});

test('limits on tensor count, name length, rank and config size, each with a clear error', async () => {
  const many: Record<string, object> = {};
  for (let i = 0; i <= MAX_TENSORS + 1; i++) many[`t${i}`] = {};
  const e = await rejection(openCheckpoint(writeFile(dir, 'many.safetensors', stBytes(many))));
  assert.match(e.message, new RegExp(`many\\.safetensors: header lists ${MAX_TENSORS + 2} entries, over the limit of ${MAX_TENSORS} tensors`));
  const rank = await rejection(openCheckpoint(writeFile(dir, 'rank.safetensors', stBytes({ w: { dtype: 'F32', shape: new Array(65).fill(1), data_offsets: [0, 4] } }, f32(1)))));
  assert.match(rank.message, /rank\.safetensors: tensor "w": shape has 65 dims, over the limit of 64/);
  const cfg = writeFile(dir, 'huge_config.json', Buffer.alloc(MAX_CONFIG_BYTES + 1, 0x20));
  assert.match((await rejection(loadModelConfig(dir, cfg))).message, /huge_config\.json: model config is 16777217 bytes, over the 16777216-byte limit/);
});

const infos = (entries: [string, number[]][]): Map<string, TensorInfo> => new Map(entries.map(([name, shape]) => [name, { name, dtype: 'F32', shape }]));
const mlp: [string, number[]][] = [['0.weight', [4, 3]], ['0.bias', [4]], ['2.weight', [2, 4]], ['2.bias', [2]]];

test('strict loading: unexpected and missing tensors are listed in one line naming the file', () => {
  const strict = (t: Map<string, TensorInfo>, opts = {}): void => checkStrictLoading(buildModel(t, {}, 'm.safetensors'), t, 'm.safetensors', opts);
  strict(infos(mlp)); // exact: fine
  const extra = infos([...mlp, ['extra.weight', [3]], ['11.bias', [2]]]);
  assert.throws(() => strict(extra), /^m\.safetensors: strict loading of a mlp model: unexpected tensors "11\.bias", "extra\.weight" \(--allow-extra ignores them\)$/);
  strict(extra, { allowExtra: true });
  const noBias = infos(mlp.filter(([n]) => n !== '2.bias'));
  assert.throws(() => strict(noBias), /^m\.safetensors: strict loading of a mlp model: missing tensor "2\.bias" \(--allow-missing runs without them\)$/);
  strict(noBias, { allowMissing: true });
  const both = infos([...mlp.filter(([n]) => n !== '0.bias'), ['x\ny', [1]]]);
  assert.throws(() => strict(both), /unexpected tensor "x\\ny" \(--allow-extra ignores them\); missing tensor "0\.bias"/);
});

test('strict loading knows buffers: BatchNorm num_batches_tracked is expected, an orphan BN weight is not', async () => {
  const file = path.join(repoRoot, 'test/fixtures/models/resnet_basic_cifar/model.safetensors');
  const ckpt = await openCheckpoint(file);
  try {
    const t = new Map(ckpt.tensors);
    const model = buildModel(t, { stem: 'cifar' }, file);
    checkStrictLoading(model, t, file);
    t.set('layer1.0.bn1.num_batches_tracked', { name: 'layer1.0.bn1.num_batches_tracked', dtype: 'I64', shape: [] });
    checkStrictLoading(model, t, file);
    t.set('layer9.1.bn2.weight', { name: 'layer9.1.bn2.weight', dtype: 'F32', shape: [4] });
    assert.throws(() => checkStrictLoading(model, t, file), /unexpected tensor "layer9\.1\.bn2\.weight"/);
    t.delete('layer9.1.bn2.weight');
    t.delete('fc.bias');
    assert.throws(() => checkStrictLoading(buildModel(t, { stem: 'cifar' }, file), t, file), /missing tensor "fc\.bias"/);
  } finally {
    await ckpt.close();
  }
});

test('features refuses extra tensors by default (before any backend), --allow-extra runs', async () => {
  const src = path.join(repoRoot, 'test/fixtures/models/mlp');
  const ck = await openCheckpoint(path.join(src, 'model.safetensors'));
  const tensors: Record<string, { dtype: 'float32'; shape: number[]; data: Float32Array }> = {};
  for (const n of ck.tensors.keys()) tensors[n] = (await ck.read(n)) as { dtype: 'float32'; shape: number[]; data: Float32Array };
  await ck.close();
  tensors['extra.weight'] = { dtype: 'float32', shape: [1], data: new Float32Array(1) };
  const { writeSafetensors } = await import('../src/io/writer.js');
  const model = path.join(dir, 'extra_mlp.safetensors');
  await writeSafetensors(model, tensors);
  const out = path.join(dir, 'feats.safetensors');
  const args = ['features', '--model', model, '--inputs', path.join(src, 'inputs.safetensors'), '--backend', 'auto', '--out', out];
  const r = ctlkit(...args);
  assert.is(r.code, 1);
  assert.is(r.err, `ctlkit: ${model}: strict loading of a mlp model: unexpected tensor "extra.weight" (--allow-extra ignores them)\n`);
  assert.not.ok(fs.existsSync(out));
  const ok = ctlkit(...args.slice(0, -4), '--backend', 'reference', '--out', out, '--allow-extra');
  assert.is(ok.code, 0, ok.err);
  assert.ok(fs.existsSync(out));
});

test('sweep: an error on a bad checkpoint is the only line on stderr (no backend probe before it)', () => {
  const good = path.join(repoRoot, 'test/fixtures/models/mlp/model.safetensors');
  const bad = writeFile(dir, 'bad.safetensors', stBytes({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, f32(1)));
  const r = ctlkit('sweep', '--interpolate', good, bad, '--alphas', '0,1', '--inputs', path.join(repoRoot, 'test/fixtures/models/mlp/inputs.safetensors'));
  assert.is(r.code, 1);
  assert.is(r.err, `ctlkit: ${bad}: data section has 4 bytes but the header describes 8 (file truncated: tensors need 8 data bytes)\n`);
});

test('stale temporaries of killed runs are removed by the next write; temp-shaped outputs are refused', async () => {
  const target = path.join(dir, 'out.json');
  const dead = `${target}.tmp-999999-0123456789ab`; // no such pid
  const other = path.join(dir, 'other.json.tmp-999999-0123456789ab'); // another target's: kept
  const live = `${target}.tmp-1-0123456789ab`; // pid 1 exists: a run in progress, kept
  for (const f of [dead, other, live]) fs.writeFileSync(f, 'partial');
  await writeFileAtomic(target, '{}');
  assert.not.ok(fs.existsSync(dead));
  assert.ok(fs.existsSync(other));
  assert.ok(fs.existsSync(live));
  assert.is(fs.readFileSync(target, 'utf8'), '{}');
  const tmp = tempPathFor(target);
  assert.ok(isTempName(tmp));
  assert.throws(() => tempPathFor(tmp), /reserved for ctlkit's temporary files/);
  assert.match((await rejection(writeFileAtomic(dead, 'x'))).message, /reserved/);
});

test.run();
