// A torch.save file opened lazily: the pickle is read and every chosen tensor checked against its
// storage on open; read(name) reads just that tensor's bytes (its storage extent when strided)
// with positioned reads and lays them out contiguously.
import type { FileHandle } from 'node:fs/promises';
import { shapeStr, type Tensor } from '../../tensor.js';
import type { StDType, TensorInfo } from '../types.js';
import { checkedProduct, decodeTensor, readExactly } from '../safetensors.js';
import { looksLikeZip } from '../zip.js';
import { selectTensors } from './state_dict.js';
import { readTorchLegacy, readTorchZip, type StorageData, type TorchFile } from './torch_file.js';
import type { TensorRef } from './values.js';
import { displayName, quoteName } from '../../util/escape.js';

export interface TorchOpenOptions {
  /** Which tensor set of a training checkpoint to use (a key, or a/b for nested dicts). */
  key?: string;
}

/** Largest tensor materialised from a smaller storage (zero / overlapping strides). */
export const MAX_EXPANDED_BYTES = 256 * 1024 * 1024;

interface Placed {
  info: TensorInfo;
  ref: TensorRef;
  data: StorageData;
  /** Elements from the tensor's first to its last element in the storage (0 for an empty tensor). */
  span: number;
  contiguous: boolean;
}

export interface TorchSource {
  format: TorchFile['format'];
  tensors: Map<string, TensorInfo>;
  metadata: Record<string, string>;
  read(name: string): Promise<Tensor>;
}

/** Errors keep to one line even when a name inside the pickle holds a line break. */
async function oneLine<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof Error && /[\n\r]/.test(e.message)) e.message = e.message.replace(/\r/g, '\\r').replace(/\n/g, '\\n');
    throw e;
  }
}

export function openTorchFile(fh: FileHandle, file: string, head: Uint8Array, opts: TorchOpenOptions = {}): Promise<TorchSource> {
  return oneLine(openTorch(fh, file, head, opts));
}

async function openTorch(fh: FileHandle, file: string, head: Uint8Array, opts: TorchOpenOptions): Promise<TorchSource> {
  const torch = looksLikeZip(head) ? await readTorchZip(fh, file) : await readTorchLegacy(fh, file);
  const sel = selectTensors(file, torch.root, opts.key);
  const placed = new Map<string, Placed>();
  for (const [name, ref] of [...sel.tensors].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    placed.set(name, place(file, name, ref, torch));
  }
  const metadata: Record<string, string> = { format: 'pt', source_format: torch.format };
  if (sel.key) metadata.source_key = sel.key;
  if (sel.stripped) metadata.stripped_prefix = sel.stripped;
  return {
    format: torch.format,
    tensors: new Map([...placed].map(([n, p]) => [n, p.info])),
    metadata,
    read: (name) => oneLine(readPlaced(fh, file, placed.get(name)!, torch.littleEndian)),
  };
}

function place(file: string, name: string, ref: TensorRef, torch: TorchFile): Placed {
  const at = `${file}: tensor ${quoteName(name)}`;
  const { storage } = ref;
  if (!storage.dtype) throw new Error(`${at}: dtype of torch.${displayName(storage.typeName)} is not supported (F32, F64, F16, BF16, I64, I32, U8, BOOL are)`);
  const data = torch.data.get(storage.key);
  if (!data) throw new Error(`${at}: its storage ${quoteName(storage.key)} is missing from the file`);
  const numel = checkedProduct(ref.shape);
  if (numel === undefined) throw new Error(`${at}: shape ${shapeStr(ref.shape)} has too many elements (overflow)`);
  let last = ref.offset;
  for (let i = 0; i < ref.shape.length; i++) last += (ref.shape[i] - 1) * ref.stride[i];
  const span = numel === 0 ? 0 : last - ref.offset + 1;
  const need = numel === 0 ? 0 : checkedProduct([last + 1, storage.elementSize]);
  if (need === undefined || !Number.isSafeInteger(last)) throw new Error(`${at}: shape ${shapeStr(ref.shape)} with strides ${shapeStr(ref.stride)} overflows`);
  if (need > data.bytes) {
    throw new Error(`${at}: ${storage.dtype} ${shapeStr(ref.shape)} at storage offset ${ref.offset} with strides ${shapeStr(ref.stride)} needs ${need} bytes of storage ${quoteName(storage.key)}, which holds ${data.bytes} (storage shorter than its tensor)`);
  }
  // Zero or overlapping strides (an expanded view) can describe far more elements than the storage
  // holds; materialising them is capped so a tiny file cannot demand a huge allocation.
  const out = numel * storage.elementSize;
  if (out > data.bytes && out > MAX_EXPANDED_BYTES) {
    throw new Error(`${at}: ${shapeStr(ref.shape)} with strides ${shapeStr(ref.stride)} expands ${data.bytes} storage bytes to ${out}, over the ${MAX_EXPANDED_BYTES}-byte limit for expanded views`);
  }
  let expect = 1;
  let contiguous = true;
  for (let i = ref.shape.length - 1; i >= 0; i--) {
    if (ref.shape[i] !== 1 && ref.stride[i] !== expect) contiguous = false;
    expect *= ref.shape[i];
  }
  return { info: { name, dtype: storage.dtype as StDType, shape: [...ref.shape] }, ref, data, span, contiguous: contiguous || numel <= 1 };
}

async function readPlaced(fh: FileHandle, file: string, p: Placed, littleEndian: boolean): Promise<Tensor> {
  const es = p.ref.storage.elementSize;
  const numel = checkedProduct(p.ref.shape) as number;
  const start = (await p.data.position()) + p.ref.offset * es;
  let bytes: Uint8Array;
  if (p.contiguous) bytes = await readExactly(fh, file, start, numel * es);
  else bytes = gather(await readExactly(fh, file, start, p.span * es), p.ref.shape, p.ref.stride, es, numel);
  if (!littleEndian) swapBytes(bytes, es);
  return decodeTensor(p.info, bytes);
}

/** Element copy out[i] = src[Σ idx_d · stride_d] over the row-major index of `shape`. */
function gather(src: Uint8Array, shape: number[], stride: number[], es: number, numel: number): Uint8Array {
  const out = new Uint8Array(numel * es);
  const words = es === 8 ? 2 : 1;
  const make = (b: Uint8Array): Uint8Array | Uint16Array | Uint32Array =>
    es === 1 ? b : es === 2 ? new Uint16Array(b.buffer, b.byteOffset, b.length / 2) : new Uint32Array(b.buffer, b.byteOffset, b.length / 4);
  const s = make(src);
  const o = make(out);
  const nd = shape.length;
  const idx = new Array<number>(nd).fill(0);
  const inner = shape[nd - 1];
  const innerStride = stride[nd - 1] * words;
  let base = 0; // source offset (in words) of the current row
  for (let i = 0; i < numel; i += inner) {
    let q = base;
    const at = i * words;
    if (words === 1) for (let j = 0; j < inner; j++, q += innerStride) o[at + j] = s[q];
    else for (let j = 0; j < inner; j++, q += innerStride) { o[at + 2 * j] = s[q]; o[at + 2 * j + 1] = s[q + 1]; }
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]++;
      base += stride[d] * words;
      if (idx[d] < shape[d]) break;
      base -= idx[d] * stride[d] * words;
      idx[d] = 0;
    }
  }
  return out;
}

function swapBytes(b: Uint8Array, es: number): void {
  if (es === 1) return;
  for (let i = 0; i < b.length; i += es) b.subarray(i, i + es).reverse();
}
