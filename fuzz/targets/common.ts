// What the fuzz targets share: a scratch folder per process (inputs are written there as files,
// because the CLI's functions take paths) and the repository root (seeds come from test/fixtures).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (targets run from dist/fuzz/targets/). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

const scratchRoot = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), `ctlkit-fuzz-${process.pid}-`));
process.on('exit', () => fs.rmSync(scratchRoot, { recursive: true, force: true }));

/** A fresh folder for target `name` under this process's scratch folder. */
export function scratch(name: string): string {
  const dir = path.join(scratchRoot, name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** A fixture file's bytes. */
export function fixture(rel: string): Buffer {
  return fs.readFileSync(path.join(ROOT, 'test/fixtures', rel));
}

/** [u64 LE header length][header JSON][data]. */
export function stFile(header: object, data: Uint8Array = new Uint8Array(0)): Buffer {
  const text = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(text.length));
  return Buffer.concat([len, text, data]);
}

/** Keywords of the JSON formats ctlkit reads. */
export const JSON_DICT = ['{', '}', '[', ']', ',', ':', '"', '\\', '\\u0000', '\\ud800', '\n', '"__metadata__"', '"dtype"', '"shape"', '"data_offsets"', '"F32"', '"F16"', '"BF16"', '"F64"', '"I64"', '"I32"', '"U8"', '"BOOL"', '"F8"', '"weight_map"', '"metadata"', '"total_size"', '"architecture"', '"mlp"', '"resnet"', '"vit"', '"gpt2"', '"num_heads"', '"n_head"', '"layer_norm_eps"', '"batch_norm_eps"', '"stem"', '"cifar"', '"coefficients"', '[[[[[[[[', ']]]]]]]]'];
