// finishMerge(out): the last step of a merge run as N parts (parts.ts). It checks that the parts in
// <out>.ctlkit-parts/ are pieces of one merge (one identity), that their files tile the layout
// exactly once (a missing, duplicated or foreign part is refused in one line naming it) and that
// every file is whole, then hard-links (else copies) the files into a temporary folder beside
// <out>, writes model.safetensors.index.json as the one-machine merge writes it, renames the folder
// to <out> (it appears complete or not at all) and removes the parts. The parts' tensor files are
// those of the one-machine merge byte for byte, so <out> is the same folder.
import fs from 'node:fs/promises';
import path from 'node:path';
import { tempPathFor } from '../io/atomic.js';
import { fsReason } from '../io/fs_errors.js';
import { parseJsonObject } from '../io/json_strict.js';
import { INDEX_FILE, indexJson } from '../io/sharded_writer.js';
import { formatShard } from '../sweep/shard.js';
import {
  MANIFEST, PART_DIR, PART_FORMAT, PART_VERSION, filesOfPart, identityDiff, layoutHash, partName, partsDir, sha256,
  type PartFile, type PartManifest,
} from './parts.js';

export interface FinishResult {
  out: string;
  /** File names inside `out`. */
  files: string[];
  tensors: number;
  /** How many parts were assembled, and of how many runs' N. */
  parts: number;
  /** 'link': hard links (no data copied); 'copy' where the filesystem has no hard links. */
  placed: 'link' | 'copy';
  seconds: number;
}

interface Part { dir: string; m: PartManifest }

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads and shape-checks one part's manifest. */
async function readPart(dir: string): Promise<Part> {
  const file = path.join(dir, MANIFEST);
  const text = await fs.readFile(file, 'utf8').catch((e: unknown) => { throw new Error(`${file}: cannot read the part manifest (${fsReason(e)})`); });
  const j = parseJsonObject(file, text, 'merge part manifest');
  if (j.format !== PART_FORMAT) throw new Error(`${file}: not a ctlkit merge part (format ${JSON.stringify(j.format)}, expected "${PART_FORMAT}")`);
  if (j.version !== PART_VERSION) throw new Error(`${file}: merge part version ${JSON.stringify(j.version)}, this ctlkit reads version ${PART_VERSION}`);
  const p = j.part, files = j.files, layout = j.layout, id = j.identity;
  const okPart = isObj(p) && Number.isInteger(p.count) && (p.count as number) >= 1 && Number.isInteger(p.index) && (p.index as number) >= 0 && (p.index as number) < (p.count as number);
  const okFiles = Array.isArray(files) && files.every((f) => isObj(f) && typeof f.name === 'string' && Number.isSafeInteger(f.size) && typeof f.header === 'string' && Array.isArray(f.tensors));
  const okLayout = Array.isArray(layout) && layout.every((f) => isObj(f) && typeof f.name === 'string' && Number.isSafeInteger(f.bytes));
  if (!okPart || !okFiles || !okLayout || !isObj(id) || !Array.isArray(id.models) || !isObj(id.extras)) throw new Error(`${file}: malformed merge part manifest (part, files, layout or identity)`);
  return { dir, m: j as unknown as PartManifest };
}

/** The parts' identities agree: the odd one out (against the most common identity) is foreign. */
function checkIdentity(parts: Part[]): Part {
  const key = (p: Part) => JSON.stringify(p.m.identity);
  const count = new Map<string, number>();
  for (const p of parts) count.set(key(p), (count.get(key(p)) ?? 0) + 1);
  const ref = parts.reduce((best, p) => (count.get(key(p))! > count.get(key(best))! ? p : best), parts[0]);
  for (const p of parts) {
    const why = identityDiff(ref.m.identity, p.m.identity, path.basename(ref.dir));
    if (why) throw new Error(`foreign part: ${p.dir} is from another merge (${why}); remove it or run that part again`);
  }
  return ref;
}

/** Every file of the layout is in exactly one part; with one N, every part 0..N−1 is present. */
function checkCoverage(parts: Part[], ref: Part, dir: string): Map<string, { part: Part; file: PartFile }> {
  const layout = ref.m.layout;
  const owner = new Map<string, { part: Part; file: PartFile }>();
  for (const p of parts) {
    const want = filesOfPart(layout, p.m.part).map((f) => f.name);
    const have = p.m.files.map((f) => f.name);
    if (want.join() !== have.join()) throw new Error(`${path.join(p.dir, MANIFEST)}: lists files ${have.join(', ') || 'none'}, but part ${formatShard(p.m.part)} of this merge holds ${want.join(', ') || 'none'}`);
    for (const f of p.m.files) {
      const o = owner.get(f.name);
      if (o) throw new Error(`duplicated part: ${f.name} is in both ${path.basename(o.part.dir)} and ${path.basename(p.dir)} (parts of runs with different N; remove one run's parts)`);
      owner.set(f.name, { part: p, file: f });
    }
  }
  const counts = [...new Set(parts.map((p) => p.m.part.count))].sort((a, b) => a - b);
  const n = parts.length;
  if (counts.length === 1) {
    const N = counts[0];
    for (let k = 0; k < N; k++) {
      if (parts.some((p) => p.m.part.index === k)) continue;
      const lost = filesOfPart(layout, { index: k, count: N }).map((f) => f.name);
      const what = lost.length === 0 ? 'no files: an empty part' : lost.length === 1 ? lost[0] : `${lost.length} files: ${lost[0]} … ${lost[lost.length - 1]}`;
      throw new Error(`missing part: --tensors ${k}/${N} (${what}) is not among the ${n} part${n === 1 ? '' : 's'} in ${dir}`);
    }
  }
  const gap = layout.find((f) => !owner.has(f.name));
  if (gap) throw new Error(`missing part: no part in ${dir} holds ${gap.name} (the parts come from runs with N = ${counts.join(', ')})`);
  const all = layout.map((f) => owner.get(f.name)!.file);
  if (layoutHash(all) !== ref.m.identity.layout) throw new Error(`${dir}: the parts' files do not make up the layout their manifests name (a part was edited?)`);
  return owner;
}

/** The file is there, of its size, with its header. */
async function checkFile(p: Part, f: PartFile): Promise<void> {
  const file = path.join(p.dir, f.name);
  const again = `a damaged part: run --tensors ${formatShard(p.m.part)} again`;
  const fh = await fs.open(file, 'r').catch((e: unknown) => { throw new Error(`${file}: cannot open (${fsReason(e)}; ${again})`); });
  try {
    const { size } = await fh.stat();
    if (size !== f.size) throw new Error(`${file}: ${size} bytes, expected ${f.size} (${again})`);
    const len = Buffer.alloc(8);
    await fh.read(len, 0, 8, 0);
    const n = Number(len.readBigUInt64LE(0));
    const head = Buffer.alloc(Math.min(8 + n, size));
    await fh.read(head, 0, head.length, 0);
    if (sha256(head) !== f.header) throw new Error(`${file}: its header is not the one the manifest names (${again})`);
  } finally {
    await fh.close();
  }
}

/** Hard-links `from` to `to`, or copies it where the filesystem has no hard links. */
async function place(from: string, to: string): Promise<'link' | 'copy'> {
  try {
    await fs.link(from, to);
    return 'link';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (!['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK'].includes(code ?? '')) throw new Error(`${to}: cannot link ${from} (${fsReason(e)})`);
    await fs.copyFile(from, to, fs.constants.COPYFILE_FICLONE);
    return 'copy';
  }
}

/** Assembles the merge into `out` from the parts in <out>.ctlkit-parts/ (see the file comment). */
export async function finishMerge(out: string): Promise<FinishResult> {
  const t0 = performance.now();
  const dir = partsDir(out);
  const entries = await fs.readdir(dir).catch((e: unknown) => {
    throw new Error(`${out}: no parts to finish (${dir}: ${fsReason(e)}; run ctlkit merge --config … --out ${out} --tensors K/N first)`);
  });
  const names = entries.filter((e) => PART_DIR.test(e)).sort((a, b) => {
    const [, ia, na] = PART_DIR.exec(a)!.map(Number), [, ib, nb] = PART_DIR.exec(b)!.map(Number);
    return na - nb || ia - ib;
  });
  if (names.length === 0) throw new Error(`${out}: no finished part in ${dir} (run ctlkit merge --config … --out ${out} --tensors K/N first)`);
  const parts: Part[] = [];
  for (const n of names) {
    const p = await readPart(path.join(dir, n));
    if (partName(p.m.part) !== n) {
      throw new Error(`duplicated part: ${p.dir} holds part ${formatShard(p.m.part)} (a copy of ${partName(p.m.part)}?); remove it`);
    }
    parts.push(p);
  }
  const ref = checkIdentity(parts);
  const owner = checkCoverage(parts, ref, dir);
  for (const { part, file } of owner.values()) await checkFile(part, file);
  const extras = Object.entries(ref.m.identity.extras);
  for (const [name, hash] of extras) {
    const data = await fs.readFile(path.join(ref.dir, name)).catch((e: unknown) => { throw new Error(`${path.join(ref.dir, name)}: cannot read (${fsReason(e)})`); });
    if (sha256(data) !== hash) throw new Error(`${path.join(ref.dir, name)}: not the file the manifest names (edited after the part ran?)`);
  }

  const held = await fs.readdir(out).catch(() => [] as string[]);
  if (held.length) throw new Error(`${out}: output folder exists and is not empty (choose a new folder, or remove it)`);
  const tmp = tempPathFor(out);
  await fs.mkdir(tmp).catch((e: unknown) => { throw new Error(`${out}: cannot create the output folder (${fsReason(e)})`); });
  let placed: 'link' | 'copy' = 'link';
  try {
    const layout = ref.m.layout.map((f) => owner.get(f.name)!);
    for (const { part, file } of layout) if ((await place(path.join(part.dir, file.name), path.join(tmp, file.name))) === 'copy') placed = 'copy';
    for (const [name] of extras) if ((await place(path.join(ref.dir, name), path.join(tmp, name))) === 'copy') placed = 'copy';
    const files = [...layout.map((x) => x.file.name), ...extras.map(([n]) => n)];
    if (layout.length > 1) {
      await fs.writeFile(path.join(tmp, INDEX_FILE), indexJson(layout.map((x) => x.file), ref.m.identity.total_size), { flag: 'wx' });
      files.push(INDEX_FILE);
    }
    await fs.rmdir(out).catch(() => undefined); // an empty folder at the target is replaced
    await fs.rename(tmp, out).catch((e: unknown) => { throw new Error(`${out}: cannot move the finished folder into place (${fsReason(e)})`); });
    await fs.rm(dir, { recursive: true, force: true });
    return { out, files: files.sort(), tensors: ref.m.identity.tensors, parts: parts.length, placed, seconds: (performance.now() - t0) / 1000 };
  } catch (e) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw e;
  }
}
