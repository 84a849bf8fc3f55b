// A minimal zip reader for torch.save archives: the central directory (ZIP64 included) gives every
// entry's name, size and local-header offset; only stored (uncompressed) entries can be read, which
// is what torch.save writes. Reads are positioned and bounded by the file size: no entry, name or
// directory is allocated before its size has been checked against the file.
import type { FileHandle } from 'node:fs/promises';
import { readExactly } from './safetensors.js';
import { quoteName } from '../util/escape.js';

export interface ZipEntry {
  name: string;
  /** 0 = stored; anything else cannot be read here. */
  method: number;
  compressedSize: number;
  size: number;
  /** Offset of the entry's local header. */
  localOffset: number;
}

export interface ZipDirectory {
  file: string;
  fileSize: number;
  entries: Map<string, ZipEntry>;
}

const EOCD_SIG = 0x06054b50;
const EOCD64_LOCATOR_SIG = 0x07064b50;
const EOCD64_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
/** Largest central directory read (100k tensors take about 10 MB). */
export const MAX_CENTRAL_DIRECTORY_BYTES = 256 * 1024 * 1024;

/** True when the bytes start like a zip archive (a local file header). */
export function looksLikeZip(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
}

function u64(dv: DataView, at: number, file: string, what: string): number {
  const v = dv.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`${file}: zip ${what} ${v} is absurdly large (damaged archive)`);
  return Number(v);
}

/** Reads the central directory. Throws one line naming the file for a damaged or truncated archive. */
export async function readZipDirectory(fh: FileHandle, file: string): Promise<ZipDirectory> {
  const { size: fileSize } = await fh.stat();
  if (fileSize < 22) throw new Error(`${file}: truncated zip archive (${fileSize} bytes, no end-of-directory record)`);
  // The end record is the last 22 bytes unless the archive has a comment (torch.save writes none).
  let tailLen = 22;
  let tail = await readExactly(fh, file, fileSize - tailLen, tailLen);
  if (new DataView(tail.buffer).getUint32(0, true) !== EOCD_SIG || new DataView(tail.buffer).getUint16(20, true) !== 0) {
    tailLen = Math.min(fileSize, 22 + 0xffff);
    tail = await readExactly(fh, file, fileSize - tailLen, tailLen);
  }
  const tdv = new DataView(tail.buffer);
  let eocd = -1;
  for (let i = tailLen - 22; i >= 0; i--) {
    if (tdv.getUint32(i, true) === EOCD_SIG && i + 22 + tdv.getUint16(i + 20, true) === tailLen) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${file}: truncated or damaged zip archive (no end-of-central-directory record)`);
  let count = tdv.getUint16(eocd + 10, true);
  let cdSize = tdv.getUint32(eocd + 12, true);
  let cdOffset = tdv.getUint32(eocd + 16, true);
  const eocdPos = fileSize - tailLen + eocd;
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    if (eocdPos < 20) throw new Error(`${file}: zip archive needs a ZIP64 record that is missing`);
    const loc = new DataView((await readExactly(fh, file, eocdPos - 20, 20)).buffer);
    if (loc.getUint32(0, true) !== EOCD64_LOCATOR_SIG) throw new Error(`${file}: zip archive needs a ZIP64 record that is missing`);
    const recPos = u64(loc, 8, file, 'ZIP64 record offset');
    if (recPos + 56 > eocdPos) throw new Error(`${file}: ZIP64 record offset ${recPos} lies past the end of the archive`);
    const rec = new DataView((await readExactly(fh, file, recPos, 56)).buffer);
    if (rec.getUint32(0, true) !== EOCD64_SIG) throw new Error(`${file}: damaged ZIP64 end-of-directory record at ${recPos}`);
    count = u64(rec, 32, file, 'entry count');
    cdSize = u64(rec, 40, file, 'central directory size');
    cdOffset = u64(rec, 48, file, 'central directory offset');
  }
  if (cdSize > MAX_CENTRAL_DIRECTORY_BYTES) throw new Error(`${file}: zip central directory of ${cdSize} bytes exceeds the ${MAX_CENTRAL_DIRECTORY_BYTES}-byte limit`);
  if (cdOffset + cdSize > eocdPos) throw new Error(`${file}: zip central directory (${cdSize} bytes at ${cdOffset}) runs past the end of the archive (truncated?)`);
  if (count * 46 > cdSize) throw new Error(`${file}: zip directory claims ${count} entries in ${cdSize} bytes (damaged archive)`);
  const cd = await readExactly(fh, file, cdOffset, cdSize);
  const entries = parseCentral(file, cd, count, cdOffset);
  return { file, fileSize, entries };
}

function parseCentral(file: string, cd: Uint8Array, count: number, cdOffset: number): Map<string, ZipEntry> {
  const dv = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
  const utf8 = new TextDecoder('utf-8', { fatal: false });
  const entries = new Map<string, ZipEntry>();
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || dv.getUint32(p, true) !== CENTRAL_SIG) throw new Error(`${file}: damaged zip central directory (entry ${i})`);
    const method = dv.getUint16(p + 10, true);
    let compressedSize = dv.getUint32(p + 20, true);
    let size = dv.getUint32(p + 24, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    let localOffset = dv.getUint32(p + 42, true);
    const end = p + 46 + nameLen + extraLen + commentLen;
    if (end > cd.length) throw new Error(`${file}: damaged zip central directory (entry ${i} runs past it)`);
    const name = utf8.decode(cd.subarray(p + 46, p + 46 + nameLen));
    // ZIP64 extended information: the 64-bit values of the fields saturated above, in this order.
    let q = p + 46 + nameLen;
    const extraEnd = q + extraLen;
    while (q + 4 <= extraEnd) {
      const id = dv.getUint16(q, true);
      const len = dv.getUint16(q + 2, true);
      if (q + 4 + len > extraEnd) break;
      if (id === 0x0001) {
        let r = q + 4;
        const next = (what: string): number => {
          if (r + 8 > q + 4 + len) throw new Error(`${file}: zip entry ${quoteName(name)}: ZIP64 field too short for its ${what}`);
          const v = u64(dv, r, file, `entry ${quoteName(name)} ${what}`);
          r += 8;
          return v;
        };
        if (size === 0xffffffff) size = next('size');
        if (compressedSize === 0xffffffff) compressedSize = next('compressed size');
        if (localOffset === 0xffffffff) localOffset = next('offset');
      }
      q += 4 + len;
    }
    if (localOffset + 30 + nameLen + compressedSize > cdOffset) {
      throw new Error(`${file}: zip entry ${quoteName(name)} (${compressedSize} bytes at ${localOffset}) runs into the central directory at ${cdOffset} (damaged archive)`);
    }
    entries.set(name, { name, method, compressedSize, size, localOffset });
    p = end;
  }
  return entries;
}

/** File offset of a stored entry's data, checked to lie inside the archive. */
export async function entryDataOffset(fh: FileHandle, dir: ZipDirectory, entry: ZipEntry): Promise<number> {
  const at = `${dir.file}: zip entry ${quoteName(entry.name)}`;
  if (entry.method !== 0) throw new Error(`${at} is compressed (method ${entry.method}); torch.save writes stored entries only`);
  if (entry.compressedSize !== entry.size) throw new Error(`${at}: stored entry with different sizes (${entry.compressedSize} vs ${entry.size})`);
  if (entry.localOffset + 30 > dir.fileSize) throw new Error(`${at}: local header at ${entry.localOffset} lies past the end of the file`);
  const h = new DataView((await readExactly(fh, dir.file, entry.localOffset, 30)).buffer);
  if (h.getUint32(0, true) !== LOCAL_SIG) throw new Error(`${at}: no local header at ${entry.localOffset} (damaged archive)`);
  const start = entry.localOffset + 30 + h.getUint16(26, true) + h.getUint16(28, true);
  if (start + entry.size > dir.fileSize) {
    throw new Error(`${at}: ${entry.size} bytes from ${start} run past the end of the ${dir.fileSize}-byte file (truncated?)`);
  }
  return start;
}
