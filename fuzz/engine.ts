// A small coverage-guided fuzzer (libFuzzer's loop, in-process): inputs from a corpus are mutated,
// run through a target, and kept when they reach code not reached before. Coverage is V8's own
// precise block coverage (inspector Profiler.takePreciseCoverage, counts reset at each take) over
// ctlkit's compiled sources, bucketed by hit count as AFL does. A run ends at its time budget; any
// error the target throws that is not a ctlkit error (isCtlkitError) is a crash, saved to disk.
// Written because @jazzer.js/core ships no Linux prebuild of its libFuzzer addon (see fuzz/README.md);
// targets follow Jazzer.js's convention (`fuzz(data: Buffer)`; not tried under Jazzer.js here).
import { Session } from 'node:inspector';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface FuzzTarget {
  /** Runs one input through the same function the CLI calls; throws only ctlkit errors. */
  fuzz(data: Buffer): Promise<void> | void;
  /** Seed inputs (from the test fixtures, or built like them). */
  seeds(): Buffer[];
  /** Byte strings worth inserting (format keywords, edge numbers), one char per byte (latin1). */
  dictionary?: string[];
  /** Largest input the mutator makes (default 16 KiB). */
  maxLen?: number;
}

/** A ctlkit error: a plain Error with a one-line, non-empty message. RangeError, TypeError and
 *  friends (a JS engine failure, not a checked rule) and multi-line messages are crashes. */
export function isCtlkitError(e: unknown): boolean {
  return e instanceof Error && Object.getPrototypeOf(e) === Error.prototype && e.message.length > 0 && !/[\n\r]/.test(e.message);
}

export interface FuzzStats {
  target: string;
  executions: number;
  seconds: number;
  corpus: number;
  features: number;
  crashes: string[];
}

class Coverage {
  private readonly session = new Session();
  private readonly seen = new Set<string>();
  constructor(private readonly filter: (url: string) => boolean) {
    this.session.connect();
    this.post('Profiler.enable');
    this.post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
    this.take(); // drop what loading the modules covered
  }
  private post(method: string, params?: object): unknown {
    let out: unknown;
    let err: Error | null = null;
    this.session.post(method, params, (e, r) => {
      err = e;
      out = r;
    });
    if (err) throw err;
    return out;
  }
  /** The blocks covered since the last take, as feature keys (script, range, hit-count bucket). */
  take(): string[] {
    const r = this.post('Profiler.takePreciseCoverage') as {
      result: { url: string; functions: { ranges: { startOffset: number; endOffset: number; count: number }[] }[] }[];
    };
    const keys: string[] = [];
    for (const script of r.result) {
      if (!this.filter(script.url)) continue;
      for (const fn of script.functions) {
        for (const range of fn.ranges) {
          if (range.count > 0) keys.push(`${script.url}:${range.startOffset}:${range.endOffset}:${bucket(range.count)}`);
        }
      }
    }
    return keys;
  }
  /** Adds the keys; true when any is new. */
  addNew(keys: string[]): boolean {
    let fresh = false;
    for (const k of keys) {
      if (!this.seen.has(k)) {
        this.seen.add(k);
        fresh = true;
      }
    }
    return fresh;
  }
  get size(): number {
    return this.seen.size;
  }
}

const bucket = (n: number): number => (n <= 3 ? n : n <= 7 ? 4 : n <= 15 ? 5 : n <= 31 ? 6 : n <= 127 ? 7 : 8);

/** xorshift32: the mutator's own seeded generator, so a run is repeatable from its seed. */
class Rng {
  constructor(private s: number) {
    if (this.s === 0) this.s = 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  below(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }
}

const INTERESTING = ['0', '-1', '1', '255', '65535', '4294967296', '9007199254740991', '9007199254740993', '18446744073709551615', '1e308', '1e400', '-0', '0.5', 'NaN', 'null', 'true', '[]', '{}', '""'];

function mutate(rng: Rng, input: Buffer, corpus: Buffer[], dict: string[], maxLen: number): Buffer {
  let b = Buffer.from(input);
  const rounds = 1 + rng.below(4);
  for (let r = 0; r < rounds; r++) {
    const pos = rng.below(b.length + 1);
    switch (rng.below(10)) {
      case 0: // flip a bit
        if (b.length) b[rng.below(b.length)] ^= 1 << rng.below(8);
        break;
      case 1: // a random byte
        if (b.length) b[rng.below(b.length)] = rng.below(256);
        break;
      case 2: { // delete a range
        const n = 1 + rng.below(Math.min(64, Math.max(1, b.length - pos)));
        b = Buffer.concat([b.subarray(0, pos), b.subarray(pos + n)]);
        break;
      }
      case 3: { // insert random bytes
        const ins = Buffer.alloc(1 + rng.below(8));
        for (let i = 0; i < ins.length; i++) ins[i] = rng.below(256);
        b = Buffer.concat([b.subarray(0, pos), ins, b.subarray(pos)]);
        break;
      }
      case 4: // duplicate a range (repeats nesting, names, entries)
      case 5: {
        const start = rng.below(b.length);
        const n = 1 + rng.below(Math.min(256, Math.max(1, b.length - start)));
        const times = 1 + rng.below(rng.below(2) ? 4 : 64);
        const piece = Buffer.concat(Array.from({ length: times }, () => b.subarray(start, start + n)));
        b = Buffer.concat([b.subarray(0, pos), piece, b.subarray(pos)]);
        break;
      }
      case 6: // a dictionary token
      case 7: {
        const tok = rng.below(3) === 0 ? INTERESTING[rng.below(INTERESTING.length)] : dict[rng.below(dict.length)] ?? '';
        b = Buffer.concat([b.subarray(0, pos), Buffer.from(tok, 'latin1'), b.subarray(pos)]); // one char = one byte: binary tokens ('\x80\x02') stay as written
        break;
      }
      case 8: { // replace a run of digits with an edge number
        const text = b.toString('latin1');
        const m = [...text.matchAll(/\d+/g)];
        if (m.length) {
          const hit = m[rng.below(m.length)];
          const num = INTERESTING[rng.below(9)];
          b = Buffer.concat([b.subarray(0, hit.index), Buffer.from(num), b.subarray(hit.index! + hit[0].length)]);
        }
        break;
      }
      case 9: { // splice with another corpus entry
        const other = corpus[rng.below(corpus.length)];
        const cut = rng.below(other.length + 1);
        b = Buffer.concat([b.subarray(0, pos), other.subarray(cut)]);
        break;
      }
    }
  }
  return b.length > maxLen ? b.subarray(0, maxLen) : b;
}

/** Runs `target` for `seconds`; crashing inputs are written to `crashDir` as crash-<sha1>. */
export async function fuzzTarget(name: string, target: FuzzTarget, opts: { seconds: number; seed?: number; crashDir: string; corpusDir?: string }): Promise<FuzzStats> {
  const cov = new Coverage((url) => url.includes('/dist/src/'));
  const rng = new Rng(opts.seed ?? Date.now() >>> 0);
  const maxLen = target.maxLen ?? 16384;
  const dict = target.dictionary ?? [];
  const corpus: Buffer[] = [];
  const crashes = new Set<string>();
  let executions = 0;
  const run = async (input: Buffer): Promise<boolean> => {
    executions++;
    try {
      await target.fuzz(input);
    } catch (e) {
      if (!isCtlkitError(e)) {
        const id = createHash('sha1').update(input).digest('hex');
        if (!crashes.has(id)) {
          crashes.add(id);
          fs.mkdirSync(opts.crashDir, { recursive: true });
          const file = path.join(opts.crashDir, `crash-${id}`);
          fs.writeFileSync(file, input);
          const what = e instanceof Error ? `${e.constructor.name}: ${e.message.slice(0, 300)}` : String(e);
          process.stderr.write(`fuzz ${name}: CRASH ${what}\n  input saved to ${file}\n`);
        }
      }
    }
    return cov.addNew(cov.take());
  };
  const seeds = target.seeds();
  if (opts.corpusDir && fs.existsSync(opts.corpusDir)) {
    for (const f of fs.readdirSync(opts.corpusDir)) seeds.push(fs.readFileSync(path.join(opts.corpusDir, f)));
  }
  for (const s of seeds) {
    await run(s);
    corpus.push(s);
  }
  const t0 = performance.now();
  const deadline = t0 + opts.seconds * 1000;
  while (performance.now() < deadline) {
    const parent = corpus[rng.below(corpus.length)];
    const child = mutate(rng, parent, corpus, dict, maxLen);
    if (await run(child)) {
      corpus.push(child);
      if (opts.corpusDir) {
        fs.mkdirSync(opts.corpusDir, { recursive: true });
        fs.writeFileSync(path.join(opts.corpusDir, createHash('sha1').update(child).digest('hex')), child);
      }
    }
  }
  return { target: name, executions, seconds: (performance.now() - t0) / 1000, corpus: corpus.length, features: cov.size, crashes: [...crashes] };
}
