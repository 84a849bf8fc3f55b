// Dependencies point one way: cli → demo → report/merge → sweep → models/metrics → backends/io →
// tensor. Every relative import in src/ must go to the same folder or to a lower layer.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OP_NAMES } from '../src/backends/ops.js';
import { repoRoot } from './harness/paths.js';

const RANK: Record<string, number> = {
  'tensor.ts': 0, util: 0, io: 1, backends: 1, metrics: 2, models: 2, sweep: 3, report: 4, merge: 4, demo: 5, cli: 6, 'index.ts': 7,
};
const src = path.join(repoRoot, 'src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? files(path.join(dir, d.name)) : d.name.endsWith('.ts') ? [path.join(dir, d.name)] : []));
}

/** The top-level entry of src/ a file belongs to ('io', 'tensor.ts', …). */
const topOf = (file: string): string => path.relative(src, file).split(path.sep)[0];

test('every import in src/ goes to its own folder or a lower layer', () => {
  const wrong: string[] = [];
  for (const file of files(src)) {
    const from = topOf(file);
    assert.ok(from in RANK, `src/${from} has no layer in test/layers.test.ts`);
    for (const m of readFileSync(file, 'utf8').matchAll(/from '(\.[^']*)'/g)) {
      const to = topOf(path.resolve(path.dirname(file), m[1].replace(/\.js$/, '.ts')));
      if (to !== from && !(RANK[to] < RANK[from])) wrong.push(`${path.relative(src, file)} imports ${m[1]} (${from} → ${to})`);
    }
  }
  assert.equal(wrong, []);
});

test('the op names are listed once in src/ (the op table): no other file holds a list of them', () => {
  // a hand-written list: three op names in a row, as an array or a union (`'a', 'b', 'c'` / `'a' | 'b' | 'c'`)
  const name = `'(?:${OP_NAMES.join('|')})'`;
  const list = new RegExp(`${name}\\s*[,|]\\s*${name}\\s*[,|]\\s*${name}`);
  const lists = files(src).filter((f) => list.test(readFileSync(f, 'utf8')));
  assert.equal(lists.map((f) => path.relative(src, f)), []);
});

test.run();
