// Hand-built files for the I/O tests: raw safetensors bytes (any header text, any data) and .npy
// files, written into a fresh temporary folder, so every validation rule can be hit on purpose.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A new empty folder under the OS temp dir. */
export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'ctlkit-io-'));
}

/** [u64 LE length][header][data]; `header` is raw text or an object to JSON-encode. */
export function stBytes(header: string | object, data: Uint8Array = new Uint8Array(0), lengthOverride?: bigint): Buffer {
  const text = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(lengthOverride ?? BigInt(text.length));
  return Buffer.concat([len, text, data]);
}

export function writeFile(dir: string, name: string, bytes: Uint8Array | string): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, bytes);
  return file;
}

/** Little-endian float32 bytes. */
export function f32Bytes(values: number[]): Uint8Array {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeFloatLE(v, i * 4));
  return b;
}

/** A .npy file: magic, version, padded dict header (total header a multiple of 64), then data. */
export function npyBytes(descr: string, shape: number[], data: Uint8Array, opts: { version?: number; fortran?: boolean } = {}): Buffer {
  const version = opts.version ?? 1;
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let dict = `{'descr': '${descr}', 'fortran_order': ${opts.fortran ? 'True' : 'False'}, 'shape': (${dims}), }`;
  const lenBytes = version === 1 ? 2 : 4;
  const pad = (64 - ((8 + lenBytes + dict.length + 1) % 64)) % 64;
  dict += ' '.repeat(pad) + '\n';
  const pre = Buffer.alloc(8 + lenBytes);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]).copy(pre);
  if (version === 1) pre.writeUInt16LE(dict.length, 8);
  else pre.writeUInt32LE(dict.length, 8);
  return Buffer.concat([pre, Buffer.from(dict, 'latin1'), data]);
}

/** Files in `dir` whose names contain ".tmp-" (leftover temporaries). */
export function tempLeftovers(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => n.includes('.tmp-'));
}
