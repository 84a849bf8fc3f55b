// The ctlkit bin: inspect's table and JSON, one-line errors with exit code 1, --verbose, --help.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { writeSafetensors } from '../src/io/writer.js';
import { parseList } from '../src/cli/util.js';
import { formatTable } from '../src/report/format.js';
import { repoRoot } from './harness/paths.js';
import { tempDir, tempLeftovers } from './harness/crafted.js';

const bin = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');
const ctlkit = (...args: string[]): { code: number | null; out: string; err: string } => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

const dir = tempDir();
const file = path.join(dir, 'model.safetensors');

test('inspect prints metadata and a table of tensors', async () => {
  await writeSafetensors(file, {
    'fc.weight': { dtype: 'float32', shape: [3, 2], data: new Float32Array(6) },
    'bn.num_batches_tracked': { dtype: 'int64', shape: [], data: new BigInt64Array(1) },
  }, { metadata: { format: 'pt' }, dtype: 'F16' });
  const r = ctlkit('inspect', file);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /metadata: format=pt/);
  assert.match(r.out, /2 tensors, 7 parameters/);
  assert.match(r.out, /bn\.num_batches_tracked\s+I64\s+\[\]\s+1\n/);
  assert.match(r.out, /fc\.weight\s+F16\s+\[3, 2\]\s+6/);
});

test('inspect --json to stdout and to a file', () => {
  const r = ctlkit('inspect', dir, '--json');
  const json = JSON.parse(r.out);
  assert.equal(json.tensors[1], { name: 'fc.weight', dtype: 'F16', shape: [3, 2] });
  const out = path.join(dir, 'summary.json');
  assert.is(ctlkit('inspect', file, '--json', out).code, 0);
  assert.is(JSON.parse(fs.readFileSync(out, 'utf8')).numParams, 7);
  assert.equal(tempLeftovers(dir), []);
});

test('errors: one line on stderr, exit 1; --verbose adds the stack', () => {
  const missing = path.join(dir, 'nope.safetensors');
  const r = ctlkit('inspect', missing);
  assert.is(r.code, 1);
  assert.is(r.err, `ctlkit: ${missing}: cannot open checkpoint (no such file or folder)\n`);
  const v = ctlkit('--verbose', 'inspect', missing);
  assert.is(v.code, 1);
  assert.match(v.err, /^ctlkit: .*\nError: .*\n\s+at /);
  const u = ctlkit('inspect', file, '--bogus');
  assert.is(u.code, 1);
  assert.is(u.err, "ctlkit: unknown option '--bogus'\n");
});

test('--help shows an example', () => {
  const r = ctlkit('inspect', '--help');
  assert.is(r.code, 0);
  assert.match(r.out, /Examples:\n\s+ctlkit inspect /);
  const top = ctlkit('--help');
  assert.is(top.code, 0);
  assert.match(top.out, /Examples:\n\s+ctlkit inspect .*\n\s+ctlkit features --model /);
});

test('util: table alignment and comma lists', () => {
  assert.is(formatTable(['a', 'num'], [['xyz', '1'], ['b', '22']], [1]), 'a    num\n---  ---\nxyz    1\nb     22');
  assert.equal(parseList(' conv1, layer1.0,,fc '), ['conv1', 'layer1.0', 'fc']);
  assert.throws(() => parseList(' , ', '--layers'), /--layers: expected a comma-separated list/);
});

test.run();
