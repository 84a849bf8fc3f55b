// safetensors writer: layout, round trips for every dtype, F16/BF16 rounding checked against known
// bit patterns (read back from the raw file bytes, not through the reader), and atomicity.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { openCheckpoint } from '../src/io/checkpoint.js';
import { SafetensorsWriter, writeSafetensors } from '../src/io/writer.js';
import { writeFileAtomic } from '../src/io/atomic.js';
import type { Tensor } from '../src/tensor.js';
import { tempDir, tempLeftovers } from './harness/crafted.js';
import { fixture } from './harness/paths.js';
import { rejection } from './harness/errors.js';

const dir = tempDir();
const f32 = (shape: number[], values: number[]): Tensor => ({ dtype: 'float32', shape, data: new Float32Array(values) });

/** Parses a file by hand: header JSON and each tensor's raw bytes. */
function rawFile(file: string): { n: number; header: Record<string, any>; data: Buffer } {
  const buf = fs.readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  return { n, header: JSON.parse(buf.subarray(8, 8 + n).toString('utf8')), data: buf.subarray(8 + n) };
}
function rawU16(file: string, name: string): number[] {
  const { header, data } = rawFile(file);
  const [b, e] = header[name].data_offsets as number[];
  return Array.from({ length: (e - b) / 2 }, (_, i) => data.readUInt16LE(b + 2 * i));
}

const layout = suite('writer layout');

layout('data starts 8-byte aligned, header padded with spaces, tensors in name order', async () => {
  const file = path.join(dir, 'layout.safetensors');
  await writeSafetensors(file, { zeta: f32([3], [1, 2, 3]), alpha: f32([1], [4]), mid: f32([2], [5, 6]) }, { metadata: { note: 'x' } });
  const { n, header } = rawFile(file);
  assert.is((8 + n) % 8, 0);
  const text = fs.readFileSync(file).subarray(8, 8 + n).toString('utf8');
  assert.match(text, /^\{.*\} *$/);
  assert.equal(header.__metadata__, { note: 'x' });
  assert.equal(header.alpha.data_offsets, [0, 4]);
  assert.equal(header.mid.data_offsets, [4, 12]);
  assert.equal(header.zeta.data_offsets, [12, 24]);
});

layout('output is deterministic whatever the insertion order', async () => {
  const a = path.join(dir, 'det_a.safetensors');
  const b = path.join(dir, 'det_b.safetensors');
  const x = f32([2], [1, 2]);
  const y: Tensor = { dtype: 'int64', shape: [1], data: new BigInt64Array([9n]) };
  await writeSafetensors(a, new Map([['x', x], ['y', y]]));
  await writeSafetensors(b, new Map([['y', y], ['x', x]]));
  assert.ok(fs.readFileSync(a).equals(fs.readFileSync(b)));
});

const trip = suite('writer round trips');

trip('every dtype round-trips through the reader', async () => {
  const ints: Record<string, Tensor> = {
    i64: { dtype: 'int64', shape: [3], data: new BigInt64Array([-(2n ** 50n), 0n, 12n]) },
    i32: { dtype: 'int32', shape: [2, 1], data: new Int32Array([-7, 2 ** 31 - 1]) },
    u8: { dtype: 'uint8', shape: [2], data: new Uint8Array([0, 255]) },
    b: { dtype: 'bool', shape: [2], data: new Uint8Array([1, 0]) },
    s: f32([], [0.1]),
  };
  for (const dtype of ['F32', 'F16', 'BF16'] as const) {
    const file = path.join(dir, `trip_${dtype}.safetensors`);
    await writeSafetensors(file, ints, { dtype });
    const c = await openCheckpoint(file);
    assert.equal([...c.tensors.values()].map((i) => i.dtype), ['BOOL', 'I32', 'I64', dtype, 'U8']);
    for (const [name, want] of Object.entries(ints)) {
      const got = await c.read(name);
      assert.is(got.dtype, want.dtype);
      assert.equal(got.shape, want.shape);
      if (name !== 's') assert.equal(Array.from(got.data as ArrayLike<unknown>), Array.from(want.data as ArrayLike<unknown>));
    }
    // 0.1: float32 exact; F16 0x2E66 = 0.0999755859375; BF16 0x3DCD = 0.10009765625
    const s = ((await c.read('s')).data as Float32Array)[0];
    assert.is(s, { F32: Math.fround(0.1), F16: 0.0999755859375, BF16: 0.10009765625 }[dtype]);
    await c.close();
  }
});

trip('F64 storage through the streaming writer', async () => {
  const file = path.join(dir, 'f64.safetensors');
  const w = await SafetensorsWriter.create(file, [{ name: 'd', dtype: 'F64', shape: [2] }]);
  await w.write('d', f32([2], [0.5, -3]));
  await w.commit();
  const { data } = rawFile(file);
  assert.equal([data.readDoubleLE(0), data.readDoubleLE(8)], [0.5, -3]);
});

trip('float32 → F16 rounds to nearest even (bit patterns from the IEEE spec)', async () => {
  const cases: [number, number][] = [
    [1, 0x3c00], [-2, 0xc000], [65504, 0x7bff], [65519, 0x7bff], [65520, 0x7c00], [1e6, 0x7c00], [-Infinity, 0xfc00],
    [2 ** -14, 0x0400], [2 ** -24, 0x0001], [2 ** -25, 0x0000], [3 * 2 ** -25, 0x0002], [2 ** -25 * 1.0001, 0x0001],
    [1023 * 2 ** -24, 0x03ff], [2047 * 2 ** -25, 0x0400], [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02], [-0, 0x8000], [1e-10, 0],
  ];
  const file = path.join(dir, 'f16.safetensors');
  await writeSafetensors(file, { x: f32([cases.length], cases.map((c) => c[0])), n: f32([1], [NaN]) }, { dtype: 'F16' });
  const bits = rawU16(file, 'x');
  cases.forEach(([v, want], i) => assert.is(bits[i], want, `${v} → 0x${bits[i].toString(16)}, want 0x${want.toString(16)}`));
  const nan = rawU16(file, 'n')[0];
  assert.ok((nan & 0x7c00) === 0x7c00 && (nan & 0x3ff) !== 0, 'NaN stays NaN');
});

trip('float32 → BF16 rounds to nearest even', async () => {
  const cases: [number, number][] = [
    [1, 0x3f80], [-2, 0xc000], [1 + 2 ** -8, 0x3f80], [1 + 3 * 2 ** -8, 0x3f82], [1 + 2 ** -8 + 2 ** -20, 0x3f81],
    [3.4028234663852886e38, 0x7f80], [Infinity, 0x7f80], [2 ** -133, 0x0001], [-0, 0x8000],
  ];
  const file = path.join(dir, 'bf16.safetensors');
  await writeSafetensors(file, { x: f32([cases.length], cases.map((c) => c[0])), n: f32([1], [NaN]) }, { dtype: 'BF16' });
  const bits = rawU16(file, 'x');
  cases.forEach(([v, want], i) => assert.is(bits[i], want, `${v} → 0x${bits[i].toString(16)}, want 0x${want.toString(16)}`));
  const nan = rawU16(file, 'n')[0];
  assert.ok((nan & 0x7f80) === 0x7f80 && (nan & 0x7f) !== 0, 'NaN stays NaN');
});

const atomic = suite('writer atomicity and errors');

atomic('streaming writer: any write order, commit renames into place', async () => {
  const sub = tempDir();
  const file = path.join(sub, 'merged.safetensors');
  const w = await SafetensorsWriter.create(file, [
    { name: 'b', dtype: 'F32', shape: [1] },
    { name: 'a', dtype: 'F16', shape: [2] },
  ], { method: 'average' });
  assert.ok(!fs.existsSync(file), 'nothing at the target before commit');
  await w.write('b', f32([1], [3]));
  await w.write('a', f32([2], [1, -1]));
  await w.commit();
  assert.equal(tempLeftovers(sub), []);
  const c = await openCheckpoint(file);
  assert.equal(c.metadata, { method: 'average' });
  assert.equal(Array.from((await c.read('a')).data as Float32Array), [1, -1]);
  await c.close();
});

atomic('abort leaves no file and no temporary file', async () => {
  const sub = tempDir();
  const file = path.join(sub, 'x.safetensors');
  const w = await SafetensorsWriter.create(file, [{ name: 'a', dtype: 'F32', shape: [1] }]);
  await w.write('a', f32([1], [1]));
  assert.is(tempLeftovers(sub).length, 1, 'the temporary file exists while writing');
  await w.abort();
  assert.equal(fs.readdirSync(sub), []);
  assert.match(await rejection(w.commit()), /writer already aborted/);
});

atomic('a failed write aborts and leaves the old file intact', async () => {
  const sub = tempDir();
  const file = path.join(sub, 'old.safetensors');
  await writeSafetensors(file, { a: f32([1], [42]) });
  const before = fs.readFileSync(file);
  const msg = await rejection(writeSafetensors(file, { a: f32([2], [1, 2]), b: { dtype: 'float32', shape: [3], data: new Float32Array(2) } }));
  assert.match(msg, /tensor "b": has 2 values, shape \[3\] needs 3/);
  assert.ok(msg.includes(file));
  assert.ok(fs.readFileSync(file).equals(before));
  assert.equal(tempLeftovers(sub), []);
});

atomic('streaming writer rejects undeclared, repeated, mismatched and missing tensors', async () => {
  const sub = tempDir();
  const file = path.join(sub, 'y.safetensors');
  const infos = [{ name: 'w', dtype: 'F32' as const, shape: [2] }, { name: 'n', dtype: 'I64' as const, shape: [1] }];
  const cases: [(w: SafetensorsWriter) => Promise<void>, RegExp][] = [
    [(w) => w.write('v', f32([2], [1, 2])), /tensor "v" was not declared/],
    [async (w) => { await w.write('w', f32([2], [1, 2])); await w.write('w', f32([2], [1, 2])); }, /tensor "w" written twice/],
    [(w) => w.write('w', f32([1, 2], [1, 2])), /tensor "w": shape \[1, 2\] differs from the declared \[2\]/],
    [(w) => w.write('n', f32([1], [1])), /tensor "n": a float32 tensor cannot be stored as I64/],
    [async (w) => { await w.write('w', f32([2], [1, 2])); await w.commit(); }, /cannot commit, 1 tensor\(s\) never written \(first: "n"\)/],
  ];
  for (const [act, re] of cases) {
    const w = await SafetensorsWriter.create(file, infos);
    assert.match(await rejection(act(w)), re);
    assert.equal(fs.readdirSync(sub), [], `nothing left behind after ${re}`);
  }
  assert.match(await rejection(SafetensorsWriter.create(file, [...infos, infos[0]])), /tensor "w": declared twice/);
  assert.match(await rejection(writeSafetensors(file, { a: f32([1], [1]) }, { metadata: { k: 1 as unknown as string } })), /metadata "k" must be a string/);
});

atomic('an output folder that does not exist is named with the target, not the temporary file', async () => {
  const file = path.join(tempDir(), 'no_such_folder', 'out.safetensors');
  assert.is(await rejection(writeSafetensors(file, { a: f32([1], [1]) })), `${file}: cannot create the output file (no such file or folder)`);
  assert.is(await rejection(writeFileAtomic(file, 'x')), `${file}: cannot write (no such file or folder)`);
});

layout.run();
trip.run();
atomic.run();

const torchGolden = suite('half conversions against PyTorch');

torchGolden('reader and writer match torch .half() / .bfloat16() bit for bit', async () => {
  const c = await openCheckpoint(fixture('io', 'half_golden.safetensors'));
  const read = async (n: string): Promise<Float32Array> => (await c.read(n)).data as Float32Array;
  const x = await read('f32');
  const same = (a: Float32Array, b: Float32Array, what: string): void => {
    for (let i = 0; i < a.length; i++) assert.ok(Object.is(a[i], b[i]), `${what} #${i}: ${a[i]} vs torch ${b[i]} (x = ${x[i]})`);
  };
  same(await read('f16'), await read('f16_as_f32'), 'F16 → float32');
  same(await read('bf16'), await read('bf16_as_f32'), 'BF16 → float32');
  for (const [dtype, name] of [['F16', 'f16'], ['BF16', 'bf16']] as const) {
    const file = path.join(dir, `golden_${name}.safetensors`);
    await writeSafetensors(file, { [name]: { dtype: 'float32', shape: [x.length], data: x } }, { dtype });
    const ours = rawU16(file, name);
    const theirs = rawU16(fixture('io', 'half_golden.safetensors'), name);
    ours.forEach((b, i) => assert.is(b, theirs[i], `${dtype} of ${x[i]}: 0x${b.toString(16)} vs torch 0x${theirs[i].toString(16)}`));
  }
  await c.close();
});

torchGolden.run();
