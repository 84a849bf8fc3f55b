// The restricted unpickler on hostile and damaged input: live payloads (os.system, eval,
// subprocess.Popen, a getattr chain; checked live by the generator) refused in both framings,
// naming the global, with no marker file and no output; damaged storages, truncations, random
// corruption and absurd sizes give one-line errors; ZIP64 archives; every pickle protocol 0-5.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { openCheckpoint } from '../src/io/checkpoint.js';
import { unpickle } from '../src/io/pickle/unpickler.js';
import { torchHooks } from '../src/io/pickle/allow.js';
import { PyDict, PyObject, PySet, type StorageRef } from '../src/io/pickle/values.js';
import { fixture, repoRoot } from './harness/paths.js';
import { rejection } from './harness/errors.js';
import { tempDir, tempLeftovers } from './harness/crafted.js';
import { makeRng } from './harness/rng.js';

const pk = (...p: string[]): string => fixture('pickle', ...p);
const marker = (name: string): string => `/tmp/ctlkit-pickle-pwned-${name}`;
const bin = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');

const attacks = suite('attacks');

const GLOBALS: Record<string, string> = { os_system: 'posix.system', eval: 'builtins.eval', popen: 'subprocess.Popen', getattr: 'builtins.getattr' };

for (const [name, global] of Object.entries(GLOBALS)) {
  for (const framing of ['', '_legacy']) {
    attacks(`attack_${name}${framing}.pt: refused naming ${global}, nothing run`, async () => {
      fs.rmSync(marker(name), { force: true });
      const file = pk(`attack_${name}${framing}.pt`);
      const msg = await rejection(openCheckpoint(file));
      assert.ok(msg.startsWith(`${file}: refused: the pickle calls ${global}, which is not on the allow-list`), msg);
      assert.not.match(msg, /\n/);
      assert.not.ok(fs.existsSync(marker(name)), 'the payload ran');
    });
  }
}

attacks('convert refuses before writing anything: exit 1, one line, no output, no temp file', () => {
  const dir = tempDir();
  const out = path.join(dir, 'out.safetensors');
  fs.rmSync(marker('popen'), { force: true });
  const r = spawnSync(process.execPath, [bin, 'convert', pk('attack_popen_legacy.pt'), '--out', out], { encoding: 'utf8' });
  assert.is(r.status, 1);
  assert.match(r.stderr, /^ctlkit: .*attack_popen_legacy\.pt: refused: the pickle calls subprocess\.Popen, .*\n$/);
  assert.is(r.stderr.split('\n').length, 2);
  assert.not.ok(fs.existsSync(out));
  assert.equal(tempLeftovers(dir), []);
  assert.not.ok(fs.existsSync(marker('popen')));
});

const damaged = suite('damaged files');

damaged('storages shorter than their tensors, offsets and strides past the end, absurd sizes', async () => {
  for (const f of ['', '_legacy']) {
    assert.match(await rejection(openCheckpoint(pk(`bad_offset${f}.pt`))), /tensor "w": F32 \[2\] at storage offset 3 with strides \[1\] needs 20 bytes of storage "\d+", which holds 16 \(storage shorter than its tensor\)$/);
    assert.match(await rejection(openCheckpoint(pk(`bad_stride${f}.pt`))), /tensor "w": F32 \[2, 2\] .* strides \[3, 1\] needs 20 bytes .* holds 16/);
    assert.match(await rejection(openCheckpoint(pk(`bad_huge${f}.pt`))), /tensor "w": shape \[1099511627776, 1099511627776\] has too many elements \(overflow\)$/);
    assert.match(await rejection(openCheckpoint(pk(`bad_expand${f}.pt`))), /tensor "w": \[1048576, 1024\] with strides \[0, 0\] expands 16 storage bytes to 4294967296, over the 268435456-byte limit/);
  }
  assert.match(await rejection(openCheckpoint(pk('bad_short_storage.pt'))), /tensor "dense\.\w+": F32 \[4, 6\] .* needs 96 bytes of storage "0", which holds 10/);
  assert.match(await rejection(openCheckpoint(pk('bad_huge_count_legacy.pt'))), /storage "\d+" claims 2305843009213693952 elements of \d bytes, but only \d+ bytes remain/);
});

/** Opening `bytes` written to a file must fail with one line naming that file (or succeed). */
async function oneLineOrOpens(dir: string, name: string, bytes: Uint8Array): Promise<'opened' | 'refused'> {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  try {
    const c = await openCheckpoint(file);
    for (const n of c.tensors.keys()) await c.read(n);
    await c.close();
    return 'opened';
  } catch (e) {
    const msg = (e as Error).message;
    assert.ok(e instanceof Error && msg.startsWith(`${file}: `) && !msg.includes('\n'), `${name}: ${String(e)}`);
    assert.not.instance(e, TypeError, `${name}: ${msg}`);
    assert.not.instance(e, RangeError, `${name}: ${msg}`);
    return 'refused';
  }
}

damaged('truncations of both framings: one-line errors naming the file', async () => {
  const dir = tempDir();
  for (const src of ['state.pt', 'state_legacy.pt', 'module.pt', 'module_legacy.pt']) {
    const raw = fs.readFileSync(pk(src));
    for (const n of [0, 1, 5, 30, 100, Math.floor(raw.length / 3), Math.floor(raw.length / 2), raw.length - 23, raw.length - 1]) {
      assert.is(await oneLineOrOpens(dir, `${src}.${n}`, raw.subarray(0, n)), 'refused', `${src} cut at ${n}`);
    }
  }
});

damaged('random corruption never escapes as a crash: every failure is one line naming the file', async () => {
  const dir = tempDir();
  const rand = makeRng(14);
  const outcomes = { opened: 0, refused: 0 };
  for (const src of ['module_legacy.pt', 'module.pt', 'training_legacy.pt']) {
    const raw = fs.readFileSync(pk(src));
    for (let i = 0; i < 150; i++) {
      const b = Uint8Array.from(raw);
      const flips = 1 + Math.floor(rand.next() * 4);
      for (let k = 0; k < flips; k++) b[Math.floor(rand.next() * Math.min(b.length, 20000))] = Math.floor(rand.next() * 256);
      outcomes[await oneLineOrOpens(dir, `${src}.fuzz${i}`, b)]++;
      fs.rmSync(path.join(dir, `${src}.fuzz${i}`));
    }
  }
  assert.ok(outcomes.refused > 50, JSON.stringify(outcomes));
});

damaged('compressed zip entries are named; ZIP64 and big-endian archives read like the original', async () => {
  const dir = tempDir();
  const entries = zipEntries(fs.readFileSync(pk('state.pt')));
  for (const zip64 of [false, true]) {
    const file = path.join(dir, `state${zip64 ? '64' : '32'}.pt`);
    fs.writeFileSync(file, writeZip(entries, { zip64 }));
    const [got, want] = [await openCheckpoint(file), await openCheckpoint(pk('state.expected.safetensors'))];
    for (const n of want.tensors.keys()) assert.equal(Array.from((await got.read(n)).data as Float32Array), Array.from((await want.read(n)).data as Float32Array), n);
    await got.close();
    await want.close();
  }
  // byteorder "big": every storage byte-swapped by its element size reads back the same values.
  const pkl = entries.find(([n]) => n.endsWith('data.pkl'))![1];
  const storages = new Map<string, StorageRef>();
  unpickle('state.pt', pkl, 0, torchHooks('state.pt', storages));
  const swapped = entries.map(([n, b]): [string, Buffer] => {
    const ref = storages.get(n.split('/data/')[1] ?? '');
    if (!ref) return [n, b];
    const c = Buffer.from(b);
    for (let i = 0; i < c.length; i += ref.elementSize) c.subarray(i, i + ref.elementSize).reverse();
    return [n, c];
  });
  const big = path.join(dir, 'big.pt');
  fs.writeFileSync(big, writeZip([...swapped, ['state/byteorder', Buffer.from('big')]], {}));
  const [got, want] = [await openCheckpoint(big), await openCheckpoint(pk('state.expected.safetensors'))];
  for (const n of want.tensors.keys()) {
    const [a, b] = [await got.read(n), await want.read(n)];
    assert.equal(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength), Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength), n);
  }
  await got.close();
  await want.close();
  const file = path.join(dir, 'deflated.pt');
  fs.writeFileSync(file, writeZip(entries, { method: 8 }));
  assert.match(await rejection(openCheckpoint(file)), /zip entry "state\/data\.pkl" is compressed \(method 8\); torch\.save writes stored entries only/);
});

/** Name → bytes of every stored entry of a zip (via its central directory). */
function zipEntries(zip: Buffer): [string, Buffer][] {
  const eocd = zip.length - 22;
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  const out: [string, Buffer][] = [];
  for (let i = 0; i < count; i++) {
    const size = zip.readUInt32LE(p + 24);
    const [n, m, c] = [zip.readUInt16LE(p + 28), zip.readUInt16LE(p + 30), zip.readUInt16LE(p + 32)];
    const name = zip.toString('utf8', p + 46, p + 46 + n);
    const local = zip.readUInt32LE(p + 42);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    out.push([name, zip.subarray(start, start + size)]);
    p += 46 + n + m + c;
  }
  return out;
}

/** A zip of stored entries; `zip64` saturates every size, offset and count and adds the ZIP64 records. */
function writeZip(entries: [string, Buffer][], opts: { zip64?: boolean; method?: number }): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const nameBytes = Buffer.from(name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(opts.method ?? 0, 8);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    parts.push(local, nameBytes, data);
    const extra = opts.zip64 ? Buffer.alloc(28) : Buffer.alloc(0);
    if (opts.zip64) {
      extra.writeUInt16LE(1, 0);
      extra.writeUInt16LE(24, 2);
      extra.writeBigUInt64LE(BigInt(data.length), 4);
      extra.writeBigUInt64LE(BigInt(data.length), 12);
      extra.writeBigUInt64LE(BigInt(offset), 20);
    }
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(opts.method ?? 0, 10);
    c.writeUInt32LE(opts.zip64 ? 0xffffffff : data.length, 20);
    c.writeUInt32LE(opts.zip64 ? 0xffffffff : data.length, 24);
    c.writeUInt16LE(nameBytes.length, 28);
    c.writeUInt16LE(extra.length, 30);
    c.writeUInt32LE(opts.zip64 ? 0xffffffff : offset, 42);
    central.push(c, nameBytes, extra);
    offset += 30 + nameBytes.length + data.length;
  }
  const cd = Buffer.concat(central);
  const tail: Buffer[] = [];
  if (opts.zip64) {
    const rec = Buffer.alloc(56);
    rec.writeUInt32LE(0x06064b50, 0);
    rec.writeBigUInt64LE(44n, 4);
    rec.writeBigUInt64LE(BigInt(entries.length), 24);
    rec.writeBigUInt64LE(BigInt(entries.length), 32);
    rec.writeBigUInt64LE(BigInt(cd.length), 40);
    rec.writeBigUInt64LE(BigInt(offset), 48);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(0x07064b50, 0);
    loc.writeBigUInt64LE(BigInt(offset + cd.length), 8);
    loc.writeUInt32LE(1, 16);
    tail.push(rec, loc);
  }
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(opts.zip64 ? 0xffff : entries.length, 8);
  eocd.writeUInt16LE(opts.zip64 ? 0xffff : entries.length, 10);
  eocd.writeUInt32LE(opts.zip64 ? 0xffffffff : cd.length, 12);
  eocd.writeUInt32LE(opts.zip64 ? 0xffffffff : offset, 16);
  return Buffer.concat([...parts, cd, ...tail, eocd]);
}

const machine = suite('the pickle machine');

/** A JSON rendering of unpickled values (ints as strings, sets and tuples as arrays). */
function render(v: unknown): unknown {
  if (v instanceof PyDict) return Object.fromEntries([...v.map].map(([k, x]) => [String(k), render(x)]));
  if (v instanceof PySet) return v.items.map(render);
  if (Array.isArray(v)) return v.map(render);
  if (v instanceof Uint8Array) return Array.from(v);
  if (typeof v === 'bigint') return String(v);
  return v;
}

for (let proto = 0; proto <= 5; proto++) {
  machine(`protocol ${proto}: ints to 2^70, floats, unicode, bytes, tuples, sets, shared lists`, () => {
    const file = pk(`proto${proto}.pkl`);
    const bytes = fs.readFileSync(file);
    const { value, end } = unpickle(file, bytes, 0, torchHooks(file, new Map()));
    assert.is(end, bytes.length);
    const want = JSON.parse(fs.readFileSync(pk('protocols.json'), 'utf8')) as Record<string, unknown>;
    const got = render(value) as Record<string, unknown[]>;
    got.int = got.int.map(String);
    got.float = got.float.map((x) => (Object.is(x, -0) ? '-0' : String(x)));
    assert.equal(got, want);
    const shared = (value as PyDict).get('shared') as unknown[][];
    assert.ok(shared[0] === shared[1], 'the memo keeps shared objects shared');
  });
}

machine('NEWOBJ of an unknown class is an inert record; its BUILD state is kept, nothing imported', () => {
  // cmodule.evil\nClass  )  NEWOBJ  }  'a' 1 SETITEM  BUILD  STOP
  const bytes = Buffer.concat([Buffer.from('\x80\x02cmodule.evil\nClass\n)\x81}X\x01\x00\x00\x00aK\x01sb.', 'latin1')]);
  const { value } = unpickle('x', bytes, 0, torchHooks('x', new Map()));
  assert.instance(value, PyObject);
  assert.is((value as PyObject).className, 'module.evil.Class');
  assert.is(((value as PyObject).state as PyDict).get('a'), 1);
  // The same global called (REDUCE) is refused.
  assert.throws(() => unpickle('x', Buffer.from('\x80\x02cmodule.evil\nClass\n)R.', 'latin1'), 0, torchHooks('x', new Map())), /x: refused: the pickle calls module\.evil\.Class,/);
  // A single MARK holding 300k items (Python batches 1000) is fine: no spread into a call.
  const many = Buffer.concat([Buffer.from('\x80\x02](', 'latin1'), Buffer.alloc(600000, 'K\x01', 'latin1'), Buffer.from('e.', 'latin1')]);
  assert.is((unpickle('x', many, 0, torchHooks('x', new Map())).value as unknown[]).length, 300000);
  // Out-of-range lengths are refused before allocating.
  assert.throws(() => unpickle('x', Buffer.from('\x80\x04\x8e\xff\xff\xff\xff\xff\xff\x00\x00.', 'latin1'), 0, torchHooks('x', new Map())), /pickle truncated at byte \d+ \(a 281474976710655-byte item\)/);
  assert.throws(() => unpickle('x', Buffer.from('\x80\x02\x8b\x00\x00\x00\x10.', 'latin1'), 0, torchHooks('x', new Map())), /a 268435456-byte integer|truncated/);
});

attacks.run();
damaged.run();
machine.run();
