// openCheckpoint: folders, sharded indexes (good and every bad case), unknown names, and laziness
// (opening reads the header only; read(name) reads that tensor alone).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { openCheckpoint } from '../src/io/checkpoint.js';
import { writeSafetensors } from '../src/io/writer.js';
import type { Tensor } from '../src/tensor.js';
import { tempDir, stBytes, writeFile, f32Bytes } from './harness/crafted.js';
import { rejection } from './harness/errors.js';

const f32 = (values: number[]): Tensor => ({ dtype: 'float32', shape: [values.length], data: new Float32Array(values) });
const values = async (c: { read(n: string): Promise<Tensor> }, name: string): Promise<number[]> =>
  Array.from((await c.read(name)).data as Float32Array);

/** A folder with shard1 {a, b}, shard2 {c}, and an index (overridable) mapping them. */
async function sharded(weightMap?: Record<string, string>, extraIndex = ''): Promise<{ dir: string; index: string }> {
  const dir = tempDir();
  await writeSafetensors(path.join(dir, 'model-00001-of-00002.safetensors'), { a: f32([1]), b: f32([2, 3]) }, { metadata: { format: 'pt' } });
  await writeSafetensors(path.join(dir, 'model-00002-of-00002.safetensors'), { c: f32([4]) });
  const map = weightMap ?? { a: 'model-00001-of-00002.safetensors', b: 'model-00001-of-00002.safetensors', c: 'model-00002-of-00002.safetensors' };
  const index = writeFile(dir, 'model.safetensors.index.json', extraIndex || JSON.stringify({ metadata: { total_size: 16 }, weight_map: map }));
  return { dir, index };
}

const folders = suite('checkpoint paths');

folders('a folder holding model.safetensors', async () => {
  const dir = tempDir();
  await writeSafetensors(path.join(dir, 'model.safetensors'), { w: f32([1, 2]) });
  const c = await openCheckpoint(dir);
  assert.is(c.path, dir);
  assert.equal(await values(c, 'w'), [1, 2]);
  await c.close();
});

folders('a folder with neither file, a missing path', async () => {
  const dir = tempDir();
  assert.match(await rejection(openCheckpoint(dir)), new RegExp(`${dir}: folder holds neither model.safetensors nor model.safetensors.index.json`));
  assert.match(await rejection(openCheckpoint(path.join(dir, 'x.safetensors'))), /x\.safetensors: cannot open checkpoint \(no such file or folder\)/);
});

folders('unknown tensor names the checkpoint and suggests close names', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'm.safetensors');
  await writeSafetensors(file, { 'layer1.0.conv1.weight': f32([1]), 'fc.bias': f32([2]) });
  const c = await openCheckpoint(file);
  const msg = await rejection(c.read('layer1.0.conv2.weight'));
  assert.ok(msg.startsWith(`${file}: no tensor named "layer1.0.conv2.weight"`), msg);
  assert.match(msg, /did you mean "layer1\.0\.conv1\.weight"/);
  await c.close();
  assert.match(await rejection(c.read('fc.bias')), /checkpoint is closed/);
});

const shards = suite('sharded checkpoints');

shards('index file and its folder both open, tensors from every shard', async () => {
  const { dir, index } = await sharded();
  for (const p of [index, dir]) {
    const c = await openCheckpoint(p);
    assert.equal([...c.tensors.keys()], ['a', 'b', 'c']);
    assert.equal(c.metadata, { format: 'pt', total_size: '16' });
    assert.equal(await values(c, 'b'), [2, 3]);
    assert.equal(await values(c, 'c'), [4]);
    await c.close();
  }
});

shards('shard paths that escape the folder are rejected', async () => {
  for (const bad of ['../model-00002-of-00002.safetensors', '/etc/passwd', 'sub/../../x.safetensors', '.']) {
    const { index } = await sharded({ a: 'model-00001-of-00002.safetensors', b: 'model-00001-of-00002.safetensors', c: bad });
    assert.match(await rejection(openCheckpoint(index)), /weight_map\["c"\] = ".*" escapes the checkpoint folder/, bad);
  }
});

shards('a tensor held by two shards is rejected', async () => {
  const { dir, index } = await sharded();
  await writeSafetensors(path.join(dir, 'model-00002-of-00002.safetensors'), { a: f32([9]), c: f32([4]) });
  const msg = await rejection(openCheckpoint(index));
  assert.match(msg, /shard model-00002-of-00002\.safetensors holds tensor "a" but the index maps it to model-00001-of-00002\.safetensors \(listed twice across shards\)/);
});

shards('a key listed twice in the index text is rejected', async () => {
  const text = '{"weight_map": {"a": "model-00001-of-00002.safetensors", "a": "model-00002-of-00002.safetensors"}}';
  const { index } = await sharded(undefined, text);
  assert.match(await rejection(openCheckpoint(index)), /index has duplicate key "a" in "weight_map"/);
});

shards('a missing shard names the index and the shard', async () => {
  const { index } = await sharded({ a: 'model-00001-of-00002.safetensors', b: 'model-00001-of-00002.safetensors', c: 'gone.safetensors' });
  const msg = await rejection(openCheckpoint(index));
  assert.ok(msg.startsWith(index), msg);
  assert.match(msg, /shard gone\.safetensors: .*no such file/);
});

shards('a tensor the index names but its shard lacks', async () => {
  const { index } = await sharded({ a: 'model-00001-of-00002.safetensors', b: 'model-00001-of-00002.safetensors', c: 'model-00002-of-00002.safetensors', d: 'model-00002-of-00002.safetensors' });
  assert.match(await rejection(openCheckpoint(index)), /tensor "d" is mapped to model-00002-of-00002\.safetensors, which does not hold it/);
});

shards('a shard tensor the index does not list, a malformed index', async () => {
  const { index: i2 } = await sharded({ a: 'model-00001-of-00002.safetensors', c: 'model-00002-of-00002.safetensors' });
  assert.match(await rejection(openCheckpoint(i2)), /holds tensor "b" but the index does not list it/);
  const { index: i3 } = await sharded(undefined, '{"weight_map": [1]}');
  assert.match(await rejection(openCheckpoint(i3)), /"weight_map" must be an object/);
  const { index: i4 } = await sharded(undefined, '{"weight_map": ');
  assert.match(await rejection(openCheckpoint(i4)), /index\.json: index is not valid JSON/);
  const { index: i5 } = await sharded();
  fs.writeFileSync(i5, Buffer.concat([Buffer.from('{"weight_map": {"a'), Buffer.from([0xff]), Buffer.from('": "x.safetensors"}}')]));
  assert.match(await rejection(openCheckpoint(i5)), /index\.json: index is not valid UTF-8/);
});

const lazy = suite('lazy reads');

lazy('open reads only the header; read(name) reads only that tensor, past 4 GiB', async () => {
  // A sparse file: "big" spans 5 GiB of (unread) data, "small" sits after it.
  const dir = tempDir();
  const bigBytes = 5 * 2 ** 30;
  const header = {
    big: { dtype: 'F32', shape: [bigBytes / 4], data_offsets: [0, bigBytes] },
    small: { dtype: 'F32', shape: [2], data_offsets: [bigBytes, bigBytes + 8] },
  };
  const file = writeFile(dir, 'huge.safetensors', stBytes(header));
  const headerEnd = fs.statSync(file).size;
  const fh = await fsp.open(file, 'r+');
  await fh.write(f32Bytes([6.5, -1]), 0, 8, headerEnd + bigBytes);
  // Count the bytes every FileHandle read returns while the checkpoint works.
  const proto = Object.getPrototypeOf(fh) as { read: (...a: unknown[]) => Promise<{ bytesRead: number }> };
  await fh.close();
  const original = proto.read;
  let bytesRead = 0;
  proto.read = async function (this: unknown, ...args: unknown[]) {
    const r = await original.apply(this, args);
    bytesRead += r.bytesRead;
    return r;
  };
  try {
    const c = await openCheckpoint(file);
    assert.is(bytesRead, headerEnd, 'open reads exactly the length prefix and the header');
    assert.equal(c.tensors.get('big')?.shape, [bigBytes / 4]);
    assert.equal(await values(c, 'small'), [6.5, -1]);
    assert.is(bytesRead, headerEnd + 8, 'read(small) reads its 8 bytes only');
    await c.close();
  } finally {
    proto.read = original;
    fs.rmSync(dir, { recursive: true });
  }
});

folders.run();
shards.run();
lazy.run();
