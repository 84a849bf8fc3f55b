// safetensors reader: one crafted file per validation rule, dtype decoding, misaligned offsets.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openCheckpoint } from '../src/io/checkpoint.js';
import { findDuplicateKey } from '../src/io/json_strict.js';
import { readHeader, readTensor } from '../src/io/safetensors.js';
import fsp from 'node:fs/promises';
import { fixture } from './harness/paths.js';
import { tempDir, stBytes, writeFile, f32Bytes } from './harness/crafted.js';
import { rejection } from './harness/errors.js';

const dir = tempDir();
let counter = 0;
const craft = (header: string | object, data?: Uint8Array, len?: bigint): string =>
  writeFile(dir, `c${counter++}.safetensors`, stBytes(header, data, len));

/** Opens a crafted file expecting failure; the message must name the file and match `re`. */
async function expectError(file: string, re: RegExp): Promise<void> {
  const msg = await rejection(openCheckpoint(file));
  assert.ok(msg.includes(file), `message should name the file: ${msg}`);
  assert.match(msg, re);
}

const t = (dtype: string, shape: number[], begin: number, end: number): object => ({ dtype, shape, data_offsets: [begin, end] });

const rules = suite('safetensors rules');

rules('a valid file opens, tensors sorted by name, header order free', async () => {
  const file = craft({ z: t('F32', [2], 0, 8), a: t('F32', [1], 8, 12), __metadata__: { format: 'pt' } }, f32Bytes([1, 2, 3]));
  const c = await openCheckpoint(file);
  assert.equal([...c.tensors.keys()], ['a', 'z']);
  assert.equal(c.metadata, { format: 'pt' });
  assert.equal(Array.from((await c.read('z')).data as Float32Array), [1, 2]);
  assert.equal(Array.from((await c.read('a')).data as Float32Array), [3]);
  await c.close();
});

rules('empty checkpoint and zero-sized tensors are valid', async () => {
  const c = await openCheckpoint(craft({}));
  assert.is(c.tensors.size, 0);
  await c.close();
  const d = await openCheckpoint(craft({ e: t('F32', [0, 3], 0, 0), x: t('F32', [1], 0, 4) }, f32Bytes([5])));
  assert.equal((await d.read('e')).shape, [0, 3]);
  assert.equal(Array.from((await d.read('x')).data as Float32Array), [5]);
  await d.close();
});

rules('file shorter than the 8-byte length', () => expectError(writeFile(dir, 'short.safetensors', Buffer.from([1, 2])), /8-byte header length is missing/));

rules('header length read as u64 BigInt, over 100 MB rejected', async () => {
  await expectError(craft({}, undefined, 2n ** 63n + 5n), /header length 9223372036854775813 exceeds/);
  await expectError(craft({}, undefined, 100_000_001n), /exceeds the 100000000-byte limit/);
});

rules('a file that is not safetensors at all says so', async () => {
  await expectError(writeFile(dir, 'readme.safetensors', '# A markdown file, not a checkpoint\n'), /exceeds the 100000000-byte limit \(not a safetensors file\?\)/);
  await expectError(craft('{}', undefined, 50n), /runs past the end of the \d+-byte file \(truncated, or not a safetensors file\?\)/);
});

rules('header length past the end of the file', () => expectError(craft('{}', undefined, 50n), /runs past the end/));

rules('header not valid UTF-8', () => {
  const bad = Buffer.concat([Buffer.from('{"__metadata__":{"k":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}}')]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(bad.length));
  return expectError(writeFile(dir, 'utf8.safetensors', Buffer.concat([len, bad])), /not valid UTF-8/);
});

rules('header not JSON, or not an object', async () => {
  await expectError(craft('{"a": '), /not valid JSON/);
  await expectError(craft('[]'), /must be a JSON object/);
  await expectError(craft('null'), /must be a JSON object/);
  await expectError(craft('\ufeff{}'), /not valid JSON/); // a byte-order mark is not JSON
});

rules('unknown dtype names the tensor and the dtype', () =>
  expectError(craft({ w: t('F8_E4M3', [1], 0, 1) }, new Uint8Array(1)), /tensor "w": unsupported dtype "F8_E4M3" \(expected one of F64, F32/));

rules('shape entries must be non-negative integers', async () => {
  await expectError(craft({ w: t('F32', [-1], 0, 0) }), /tensor "w": shape must be an array of non-negative integers/);
  await expectError(craft({ w: t('F32', [1.5], 0, 6) }, new Uint8Array(6)), /tensor "w": shape must be/);
  await expectError(craft({ w: { dtype: 'F32', shape: '2', data_offsets: [0, 8] } }, new Uint8Array(8)), /tensor "w": shape must be/);
});

rules('shape products are overflow-checked', () =>
  expectError(craft({ w: t('F32', [2 ** 30, 2 ** 30, 2 ** 30], 0, 8) }, new Uint8Array(8)), /tensor "w": .*too many elements \(overflow\)/));

rules('data_offsets must be two non-negative integers, end ≥ begin', async () => {
  await expectError(craft({ w: t('F32', [1], -4, 0) }), /tensor "w": data_offsets must be/);
  await expectError(craft({ w: { dtype: 'F32', shape: [1], data_offsets: [0] } }), /tensor "w": data_offsets must be/);
  await expectError(craft({ w: t('F32', [0], 4, 0) }, new Uint8Array(4)), /tensor "w": data_offsets \[4, 0\] end before begin/);
});

rules('data_offsets that are not integers, and a byte count that overflows', async () => {
  await expectError(craft({ w: t('F32', [1], 0, 4.5) }, new Uint8Array(4)), /tensor "w": data_offsets must be \[begin, end\] non-negative integers, got \[0,4.5\]/);
  await expectError(craft({ w: t('F32', [1], 0, 2 ** 60) }, new Uint8Array(4)), /tensor "w": data_offsets must be/);
  // numel 2^51 fits in a double exactly; its F64 byte count 2^54 does not.
  await expectError(craft({ w: t('F64', [2 ** 51], 0, 8) }, new Uint8Array(8)), /tensor "w": shape \[2251799813685248\] has too many elements \(overflow\)/);
});

rules('"__metadata__": null is the same as no metadata', async () => {
  const c = await openCheckpoint(craft({ __metadata__: null, a: t('F32', [1], 0, 4) }, f32Bytes([2])));
  assert.equal(c.metadata, {});
  assert.equal([...c.tensors.keys()], ['a']);
  await c.close();
});

rules('byte length must equal numel × dtype size', () =>
  expectError(craft({ w: t('F16', [3], 0, 8) }, new Uint8Array(8)), /tensor "w": data_offsets \[0, 8\] span 8 bytes, but F16 \[3\] needs 6/));

rules('offsets start at 0', () => expectError(craft({ w: t('F32', [1], 4, 8) }, new Uint8Array(8)), /tensor "w" starts at data offset 4, expected 0 \(a hole/));

rules('no hole between tensors', () =>
  expectError(craft({ a: t('F32', [1], 0, 4), b: t('F32', [1], 8, 12) }, new Uint8Array(12)), /tensor "b" starts at data offset 8, expected 4 \(a hole/));

rules('no overlapping tensors', () =>
  expectError(craft({ a: t('F32', [2], 0, 8), b: t('F32', [1], 4, 8) }, new Uint8Array(8)), /tensor "b" starts at data offset 4, expected 8 \(it overlaps/));

rules('no trailing bytes after the last tensor', () =>
  expectError(craft({ a: t('F32', [1], 0, 4) }, new Uint8Array(5)), /data section has 5 bytes but the header describes 4 \(1 trailing bytes/));

rules('truncated data section', () =>
  expectError(craft({ a: t('F32', [2], 0, 8) }, new Uint8Array(6)), /data section has 6 bytes but the header describes 8 \(file truncated/));

rules('__metadata__ is string → string only', async () => {
  await expectError(craft({ __metadata__: { epochs: 3 } }), /__metadata__\["epochs"\] must be a string, got 3/);
  await expectError(craft({ __metadata__: ['a'] }), /__metadata__ must be an object/);
});

rules('duplicate keys are rejected at every level, after unescaping', async () => {
  const w = '{"dtype":"F32","shape":[1],"data_offsets":[0,4]}';
  await expectError(craft(`{"w":${w},"w":${w}}`, new Uint8Array(4)), /duplicate key "w"/);
  await expectError(craft(`{"w":${w},"\\u0077":${w}}`, new Uint8Array(4)), /duplicate key "w"/);
  await expectError(craft('{"w":{"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]}}', new Uint8Array(4)), /duplicate key "dtype" in "w"/);
  await expectError(craft('{"__metadata__":{"k":"1","k":"2"}}'), /duplicate key "k" in "__metadata__"/);
});

rules('duplicate-key scan: strings with quotes and braces, objects inside arrays', () => {
  assert.is(findDuplicateKey('{"a":"}\\"{,","b":[{"a":1},{"a":2}],"c":{"x":true,"y":null}, "d": -1.5e3}'), undefined);
  assert.equal(findDuplicateKey(' { "b" : [ {"a":1, "a":2} ] } '), { path: ['b'], key: 'a' });
  assert.equal(findDuplicateKey('{"x":{"y":{"z":1,"z":2}}}'), { path: ['x', 'y'], key: 'z' });
  // Escapes: a key ending in an escaped backslash, and the same key spelled with \u005c.
  assert.equal(findDuplicateKey('{"a\\\\":1,"b":{"a\\u005c":[true,false,null],"a\\\\":0}}'), { path: ['b'], key: 'a\\' });
  assert.is(findDuplicateKey('{"a\\\\":1,"a":2,"a\\"":3}'), undefined);
});

rules('tensor entries must be objects without unknown fields', async () => {
  await expectError(craft({ w: [1, 2] }), /tensor "w": header entry must be an object/);
  await expectError(craft({ w: { ...t('F32', [1], 0, 4), extra: 1 } }, new Uint8Array(4)), /tensor "w": unexpected field "extra"/);
});

rules('leading and trailing whitespace around the header is accepted', async () => {
  const body = JSON.stringify({ a: t('F32', [1], 0, 4) });
  const c = await openCheckpoint(craft(` \n\t${body}   \n  `, f32Bytes([7])));
  assert.equal(Array.from((await c.read('a')).data as Float32Array), [7]);
  await c.close();
});

const dtypes = suite('safetensors dtypes');

/** One tensor of `dtype` with raw `bytes`, optionally preceded by a pad tensor that misaligns it. */
async function decode(dtype: string, shape: number[], bytes: Uint8Array, misalign = 0): Promise<{ dtype: string; v: (number | bigint)[] }> {
  const header: Record<string, object> = { x: t(dtype, shape, misalign, misalign + bytes.length) };
  if (misalign) header.pad = t('U8', [misalign], 0, misalign);
  const c = await openCheckpoint(craft(header, Buffer.concat([new Uint8Array(misalign), bytes])));
  const out = await c.read('x');
  await c.close();
  return { dtype: out.dtype, v: Array.from(out.data as ArrayLike<number | bigint>) };
}

const u16 = (...v: number[]): Uint8Array => new Uint8Array(new Uint16Array(v).buffer);

dtypes('F16 bit patterns: normals, max, subnormals, zeros, inf, NaN', async () => {
  const { dtype, v } = await decode('F16', [10], u16(0x3c00, 0x7bff, 0x0001, 0x03ff, 0x0400, 0x8000, 0x7c00, 0xfc00, 0x3555, 0x7e00));
  assert.is(dtype, 'float32');
  const want = [1, 65504, 2 ** -24, 1023 * 2 ** -24, 2 ** -14, -0, Infinity, -Infinity, 0.333251953125];
  want.forEach((w, i) => assert.ok(Object.is(v[i], w), `F16 #${i}: ${v[i]} != ${w}`));
  assert.ok(Number.isNaN(v[9]));
});

dtypes('BF16 bit patterns', async () => {
  const { v } = await decode('BF16', [5], u16(0x3f80, 0xc000, 0x7f80, 0x0001, 0x7fc0));
  assert.equal(v.slice(0, 4), [1, -2, Infinity, 2 ** -133]);
  assert.ok(Number.isNaN(v[4]));
});

dtypes('F64 rounds to float32; integers keep their dtype', async () => {
  const f64 = new Uint8Array(new Float64Array([0.1, -1e300]).buffer);
  assert.equal(await decode('F64', [2], f64), { dtype: 'float32', v: [Math.fround(0.1), -Infinity] });
  const i64 = new Uint8Array(new BigInt64Array([-1n, 2n ** 40n, 7n]).buffer);
  assert.equal(await decode('I64', [3], i64), { dtype: 'int64', v: [-1n, 2n ** 40n, 7n] });
  const i32 = new Uint8Array(new Int32Array([-5, 2 ** 31 - 1]).buffer);
  assert.equal(await decode('I32', [2], i32), { dtype: 'int32', v: [-5, 2 ** 31 - 1] });
  assert.equal(await decode('U8', [2], new Uint8Array([0, 255])), { dtype: 'uint8', v: [0, 255] });
  assert.equal(await decode('BOOL', [2], new Uint8Array([1, 0])), { dtype: 'bool', v: [1, 0] });
});

dtypes('misaligned data offsets decode correctly', async () => {
  for (const pad of [1, 3, 5]) {
    assert.equal((await decode('F32', [2], f32Bytes([1.5, -2]), pad)).v, [1.5, -2], `F32 pad ${pad}`);
    assert.equal((await decode('F64', [1], new Uint8Array(new Float64Array([0.25]).buffer), pad)).v, [0.25]);
    assert.equal((await decode('I64', [1], new Uint8Array(new BigInt64Array([-3n]).buffer), pad)).v, [-3n]);
    assert.equal((await decode('I32', [1], new Uint8Array(new Int32Array([-9]).buffer), pad)).v, [-9]);
    assert.equal((await decode('F16', [1], u16(0xc000), pad)).v, [-2]);
  }
});

dtypes('large F16/BF16/F64 tensors are converted chunk by chunk with the same result', async () => {
  // PyTorch's own conversions (torch .half()/.bfloat16() → .float()), odd length, misaligned tensors.
  const golden = fixture('io', 'half_golden.safetensors');
  const fh = await fsp.open(golden, 'r');
  try {
    const header = await readHeader(fh, golden);
    for (const [stored, want] of [['f16', 'f16_as_f32'], ['bf16', 'bf16_as_f32']]) {
      const expected = (await readTensor(fh, header, header.entries.get(want)!)).data as Float32Array;
      for (const chunk of [2, 6, 1000, 4096]) {
        const got = await readTensor(fh, header, header.entries.get(stored)!, chunk);
        assert.equal(got.shape, [expected.length]);
        assert.ok(Buffer.from((got.data as Float32Array).buffer).equals(Buffer.from(expected.buffer)), `${stored}, ${chunk}-byte chunks`);
      }
    }
  } finally {
    await fh.close();
  }
  const f64 = Float64Array.from({ length: 37 }, (_, i) => (i - 18) / 7);
  const file = craft({ pad: t('U8', [3], 0, 3), x: t('F64', [37], 3, 3 + 37 * 8) }, Buffer.concat([new Uint8Array(3), new Uint8Array(f64.buffer)]));
  const fh64 = await fsp.open(file, 'r');
  try {
    const header = await readHeader(fh64, file);
    for (const chunk of [1, 8, 24, 100]) {
      const got = await readTensor(fh64, header, header.entries.get('x')!, chunk);
      assert.equal(Array.from(got.data as Float32Array), Array.from(f64, Math.fround), `F64, ${chunk}-byte chunks`);
    }
  } finally {
    await fh64.close();
  }
});

rules.run();
dtypes.run();
