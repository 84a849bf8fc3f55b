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

/** Pickle opcodes (one char = one byte), the globals torch.save writes, and ones that must be refused. */
export const PICKLE_DICT = [
  '\x80\x02', '\x80\x04', '\x80\x05', '\x95', 'c', '\x93', 'R', '}', ']', ')', '(', 't', 'u', 'e', 'a', 's', 'b', 'q', 'r', 'h', 'j', '\x94',
  '\x8c', 'X', 'B', 'C', '\x8d', '\x8e', 'J', 'K', 'M', '\x8a', '\x8b', 'G', 'I', 'L', 'F', 'S', 'V', 'T', 'U', 'N', '\x88', '\x89',
  'Q', 'P', '\x81', '\x92', 'i', 'o', '\x85', '\x86', '\x87', '\x8f', '\x90', '\x91', '\x96', '\x97', '\x82', '.', '0', '1', '2', 'g', 'p',
  '\xff\xff\xff\xff', '\xff\xff\xff\x7f', '\x00\x00\x00\x80', '\xff\xff\xff\xff\xff\xff\xff\xff',
  'torch._utils\n_rebuild_tensor_v2\n', 'torch._utils\n_rebuild_parameter\n', 'torch._tensor\n_rebuild_from_type_v2\n',
  'collections\nOrderedDict\n', 'builtins\ngetattr\n', '_codecs\nencode\n', 'torch\nFloatStorage\n', 'torch\nHalfStorage\n',
  'torch\nBFloat16Storage\n', 'torch\nLongStorage\n', 'os\nsystem\n', 'posix\nsystem\n', 'builtins\neval\n', '__builtin__\nexec\n',
  '\x8c\x07storage', '\x8c\x01\x30', '\x8c\x03cpu', 'storage', 'module', 'state_dict', '_parameters', '_buffers', '_modules', 'little',
];

/** Zip record signatures and fields torch.save archives hold. */
export const ZIP_DICT = ['PK\x03\x04', 'PK\x01\x02', 'PK\x05\x06', 'PK\x06\x06', 'PK\x06\x07', '\x01\x00', '\x08\x00', '\xff\xff', '\xff\xff\xff\xff',
  'archive/data.pkl', 'archive/data/0', 'archive/byteorder', 'archive/version', 'data.pkl', 'big', '../', '\x00\x00\x00\x00'];
