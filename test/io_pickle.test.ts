// torch.save checkpoints read by the restricted unpickler, compared bit for bit with what Debian's
// torch says state_dict() holds (X.expected.safetensors, written by tools/gen_pickle_fixtures.py):
// both framings, every dtype, shared/sliced/strided storages, a pickled module tree whose classes
// no longer exist, training checkpoints, --key, a sharded pytorch_model.bin index; reads are lazy.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { openCheckpoint } from '../src/io/checkpoint.js';
import { entryDataOffset, readZipDirectory } from '../src/io/zip.js';
import { readTorchLegacy } from '../src/io/pickle/torch_file.js';
import type { Checkpoint } from '../src/io/types.js';
import type { Tensor } from '../src/tensor.js';
import { fixture } from './harness/paths.js';
import { rejection } from './harness/errors.js';
import { tempDir } from './harness/crafted.js';

const pk = (...p: string[]): string => fixture('pickle', ...p);

/** The raw bits of a tensor's values (NaN-safe, exact). */
function bits(t: Tensor): number[] | bigint[] {
  if (t.data instanceof Float32Array) return Array.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length));
  if (t.data instanceof BigInt64Array) return Array.from(t.data);
  return Array.from(t.data as Int32Array | Uint8Array);
}

/** Every tensor of `got` equals the expected file's: same names, dtypes, shapes and bits. */
async function sameAsExpected(got: Checkpoint, expectedFile: string): Promise<void> {
  const want = await openCheckpoint(expectedFile);
  try {
    assert.equal([...got.tensors.keys()], [...want.tensors.keys()], `${got.path}: tensor names`);
    for (const [name, info] of want.tensors) {
      assert.equal(got.tensors.get(name), info, `${got.path}: ${name} info`);
      const [a, b] = [await got.read(name), await want.read(name)];
      assert.equal(a.shape, b.shape, name);
      assert.is(a.dtype, b.dtype, name);
      assert.equal(bits(a), bits(b), `${got.path}: ${name} bits`);
    }
  } finally {
    await want.close();
  }
}

async function check(file: string, expected: string, opts: { key?: string } = {}): Promise<Record<string, string>> {
  const c = await openCheckpoint(pk(file), opts);
  try {
    await sameAsExpected(c, pk(expected));
    return { ...c.metadata };
  } finally {
    await c.close();
  }
}

const read = suite('torch.save files, bit-exact against state_dict()');

for (const file of ['state.pt', 'state_legacy.pt']) {
  read(`${file}: F32/F16/BF16/I64/BOOL, tied, sliced, transposed, every-other, 0-d, empty, expanded`, async () => {
    const meta = await check(file, 'state.expected.safetensors');
    assert.is(meta.source_format, file.includes('legacy') ? 'torch-legacy' : 'torch-zip');
  });
}

for (const file of ['module.pt', 'module_legacy.pt']) {
  read(`${file}: a pickled module tree of classes that no longer exist → ImageEncoder.state_dict()`, async () => {
    await check(file, 'module.expected.safetensors');
    const c = await openCheckpoint(pk(file));
    // Non-persistent buffers (attn_mask) are left out; persistent ones and tied/shared modules are in.
    assert.not.ok(c.tensors.has('model.attn_mask'));
    assert.ok(c.tensors.has('model.visual.bn.running_mean') && c.tensors.has('model.tied_block.weight'));
    await c.close();
  });
}

for (const file of ['subclass.pt', 'subclass_legacy.pt']) {
  read(`${file}: a tensor subclass (torch._tensor._rebuild_from_type_v2) whose class no longer exists`, async () => {
    await check(file, 'subclass.expected.safetensors');
  });
}

for (const file of ['training.pt', 'training_legacy.pt']) {
  read(`${file}: {"state_dict": module.-prefixed, "optimizer": …} → the state dict, prefix stripped`, async () => {
    const meta = await check(file, 'training.expected.safetensors');
    assert.is(meta.source_key, 'state_dict');
    assert.is(meta.stripped_prefix, 'module.');
  });
}

read('mlp_module.pt: a whole pickled nn.Sequential → its state_dict()', async () => {
  await check('mlp_module.pt', 'training.expected.safetensors');
});

read('Lightning checkpoint: state_dict with the model. prefix, optimizer_states beside', async () => {
  const meta = await check('lightning.ckpt', 'training.expected.safetensors');
  assert.is(meta.stripped_prefix, 'model.');
});

read('two tensor sets: "model" preferred, --key picks the other, a wrong key lists the keys', async () => {
  assert.is((await check('two_sets.pt', 'training.expected.safetensors')).source_key, 'model');
  assert.is((await check('two_sets.pt', 'two_sets.expected.safetensors', { key: 'ema' })).source_key, 'ema');
  const msg = await rejection(openCheckpoint(pk('two_sets.pt'), { key: 'emma' }));
  assert.match(msg, /two_sets\.pt: --key "emma": no entry "emma" \(keys: "model", "ema"\)/);
  assert.match(await rejection(openCheckpoint(pk('training.pt'), { key: 'epoch' })), /--key "epoch" is 7, not a dict of tensors or a module/);
  assert.match(await rejection(openCheckpoint(pk('state.expected.safetensors'), { key: 'x' })), /--key applies to torch\.save files/);
});

read('sharded pytorch_model.bin.index.json, by index file and by folder', async () => {
  for (const p of [pk('sharded', 'pytorch_model.bin.index.json'), pk('sharded')]) {
    const c = await openCheckpoint(p);
    await sameAsExpected(c, pk('training.expected.safetensors'));
    assert.is(c.metadata.total_size, '104');
    await c.close();
  }
});

read('the format is told by content: a .pt copied to a .bin and to a name without extension', async () => {
  const dir = tempDir();
  for (const name of ['pytorch_model.bin', 'weights']) {
    fs.copyFileSync(pk('state_legacy.pt'), path.join(dir, name));
    const c = await openCheckpoint(path.join(dir, name));
    await sameAsExpected(c, pk('state.expected.safetensors'));
    await c.close();
  }
  const folder = await openCheckpoint(dir); // a folder holding pytorch_model.bin
  assert.is(folder.tensors.size, 14);
  await folder.close();
});

const lazy = suite('lazy reads');

lazy('open reads the pickle and directory only; read(name) reads that tensor (or its strided extent)', async () => {
  const file = pk('state.pt');
  const fh0 = await fsp.open(file, 'r');
  const dir = await readZipDirectory(fh0, file);
  const storages: [number, number][] = [];
  for (const e of dir.entries.values()) if (/\/data\/\d+$/.test(e.name)) storages.push([await entryDataOffset(fh0, dir, e), e.size]);
  const proto = Object.getPrototypeOf(fh0) as { read: (...a: unknown[]) => Promise<{ bytesRead: number }> };
  await fh0.close();
  const original = proto.read;
  const reads: [number, number][] = [];
  proto.read = async function (this: unknown, ...args: unknown[]) {
    const r = await original.apply(this, args);
    reads.push([args[3] as number, r.bytesRead]);
    return r;
  };
  const touched = (from: number): number => reads.slice(from).filter(([p, n]) => storages.some(([s, m]) => p < s + m && s < p + n)).length;
  const bytes = (from: number): number => reads.slice(from).reduce((s, [, n]) => s + n, 0);
  try {
    const c = await openCheckpoint(file);
    assert.is(touched(0), 0, 'open reads no storage bytes');
    let mark = reads.length;
    // The first read of a storage also reads its 30-byte zip local header (its name/extra lengths).
    await c.read('ids');
    assert.is(bytes(mark), 30 + 32, 'ids: its 4 int64 values');
    mark = reads.length;
    await c.read('slice.rows');
    assert.is(bytes(mark), 30 + 48, 'slice.rows: 2×6 floats from storage offset 6');
    mark = reads.length;
    await c.read('view.every_other');
    assert.is(bytes(mark), (1 + 12 + 4) * 4, 'every other of [4, 6]: the extent from element 1 to 17');
    await c.close();
  } finally {
    proto.read = original;
  }
});

lazy('legacy files whose pickles outgrow the first read window are re-read with a larger one', async () => {
  const file = pk('module_legacy.pt');
  const fh = await fsp.open(file, 'r');
  const small = await readTorchLegacy(fh, file, 64); // 64 → 256 → … → the whole 70 KB pickle
  const full = await readTorchLegacy(fh, file);
  await fh.close();
  assert.equal([...small.data.keys()], [...full.data.keys()]);
  assert.equal(await Promise.all([...small.data.values()].map((d) => d.position())), await Promise.all([...full.data.values()].map((d) => d.position())));
  assert.ok(small.data.size > 30);
});

lazy('tensor bytes come from disk at read time, not from a copy made at open', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'legacy.pt');
  fs.copyFileSync(pk('state_legacy.pt'), file);
  const c = await openCheckpoint(file);
  const before = (await c.read('scalar')).data[0];
  assert.is(before, 3.25);
  // The scalar's storage is the only one holding the float 3.25: patch it on disk, then read again.
  const raw = fs.readFileSync(file);
  const at = raw.indexOf(Buffer.from(new Float32Array([3.25]).buffer));
  assert.ok(at > 0);
  const fh = await fsp.open(file, 'r+');
  await fh.write(Buffer.from(new Float32Array([-8]).buffer), 0, 4, at);
  await fh.close();
  assert.is((await c.read('scalar')).data[0], -8);
  await c.close();
});

read.run();
lazy.run();
