// Crash safety of the newer outputs: `ctlkit convert` (one file, and a --shard-size folder) and
// `ctlkit merge --config … --out DIR` (an HF folder) SIGKILLed at many points (spread over a whole
// run, then timed from the moment a temporary appears, so some land mid-write). After every kill the
// output path holds nothing or the complete output, equal byte for byte to an uninterrupted run's;
// an existing complete output (file replaced, folders refused) survives a killed overwrite; the next
// run removes the temporaries (files and folders) the killed ones left.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { writeSafetensors } from '../src/io/writer.js';
import { openCheckpoint } from '../src/io/checkpoint.js';
import { repoRoot } from './harness/paths.js';
import { tempDir, tempLeftovers } from './harness/crafted.js';

const bin = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');
const dir = tempDir();
const outs = path.join(dir, 'outs');
fs.mkdirSync(outs);
const POINTS = Number(process.env.CTLKIT_KILL_POINTS ?? 10);
const WRITING = [0, 5, 20, 60];

/** The output as file name → bytes ('' for a single file); undefined when the path is absent. */
function snapshot(p: string): Map<string, Buffer> | undefined {
  if (!fs.existsSync(p)) return undefined;
  if (fs.statSync(p).isFile()) return new Map([['', fs.readFileSync(p)]]);
  return new Map(fs.readdirSync(p).sort().map((f) => [f, fs.readFileSync(path.join(p, f))]));
}
const same = (a: Map<string, Buffer> | undefined, b: Map<string, Buffer> | undefined): boolean =>
  !!a && !!b && a.size === b.size && [...a].every(([k, v]) => b.get(k)?.equals(v) === true);

function run(args: string[]): { ms: number; code: number | null; err: string } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { ms: performance.now() - t0, code: r.status, err: r.stderr };
}

/** Spawns ctlkit; SIGKILLs it `ms` after the spawn, or (`afterTemp`) that long after a new
 *  temporary appears in outs/. Resolves once it is gone, with whether it was killed. */
function kill(args: string[], ms: number, afterTemp: boolean): Promise<boolean> {
  return new Promise((resolve) => {
    const before = new Set(tempLeftovers(outs));
    const child = spawn(process.execPath, [bin, ...args], { stdio: 'ignore' });
    let timer: NodeJS.Timeout | undefined;
    let poll: NodeJS.Timeout | undefined;
    if (!afterTemp) timer = setTimeout(() => child.kill('SIGKILL'), ms);
    else {
      poll = setInterval(() => {
        if (timer || !tempLeftovers(outs).some((t) => !before.has(t))) return;
        timer = setTimeout(() => child.kill('SIGKILL'), ms);
      }, 1);
    }
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      clearInterval(poll);
      resolve(signal === 'SIGKILL');
    });
  });
}

async function opens(p: string): Promise<void> {
  const ck = await openCheckpoint(p);
  try {
    for (const n of ck.tensors.keys()) await ck.read(n);
  } finally {
    await ck.close();
  }
}

interface Tally { kills: number; nothing: number; complete: number; old: number; midWrite: number }

/** POINTS kills spread over 1.2 × a full run plus the WRITING kills, into a fresh path (or over
 *  `previous`, an existing complete output made by `makePrevious`); checks the path after each. */
async function killLoop(args: string[], out: string, expected: Map<string, Buffer>, makePrevious?: () => void): Promise<Tally> {
  fs.rmSync(out, { recursive: true, force: true });
  const full = run(args);
  assert.is(full.code, 0, full.err);
  assert.ok(same(snapshot(out), expected), 'an uninterrupted run writes the expected output');
  const tally: Tally = { kills: 0, nothing: 0, complete: 0, old: 0, midWrite: 0 };
  for (let i = 0; i < POINTS + WRITING.length; i++) {
    fs.rmSync(out, { recursive: true, force: true });
    makePrevious?.();
    const previous = snapshot(out);
    const before = new Set(tempLeftovers(outs));
    const killed = i < POINTS ? await kill(args, (full.ms * 1.2 * i) / (POINTS - 1), false) : await kill(args, WRITING[i - POINTS], true);
    if (killed) tally.kills++;
    if (tempLeftovers(outs).some((t) => !before.has(t))) tally.midWrite++;
    const got = snapshot(out);
    const at = `kill ${i}${i < POINTS ? ` at ${((full.ms * 1.2 * i) / (POINTS - 1)).toFixed(0)} ms` : ` ${WRITING[i - POINTS]} ms after a temporary appeared`}`;
    if (!got) {
      assert.not.ok(previous, `${at}: the existing output was removed`);
      tally.nothing++;
    } else if (previous && same(got, previous)) tally.old++;
    else {
      assert.ok(same(got, expected), `${at}: ${out} holds ${[...got.keys()].join(', ')} — neither the old nor the complete new output`);
      await opens(out);
      tally.complete++;
    }
  }
  return tally;
}

/** After the kills: a complete run into a fresh path removes every temporary they left. */
function nextRunCleans(args: string[], out: string, expected: Map<string, Buffer>): number {
  const stale = tempLeftovers(outs).length;
  fs.rmSync(out, { recursive: true, force: true });
  const r = run(args);
  assert.is(r.code, 0, r.err);
  assert.ok(same(snapshot(out), expected));
  assert.equal(tempLeftovers(outs), [], 'temporaries of killed runs were removed');
  return stale;
}

const a = path.join(dir, 'a');
const b = path.join(dir, 'b');

test.before(async () => {
  for (const [m, seed] of [[a, 1], [b, 2]] as const) {
    fs.mkdirSync(m);
    const tensors: Record<string, { dtype: 'float32'; shape: number[]; data: Float32Array }> = {};
    for (let t = 0; t < 8; t++) {
      const data = new Float32Array(256 * 1024);
      for (let i = 0; i < data.length; i++) data[i] = Math.sin(seed * 7.1 + t * 1.3 + i * 0.001);
      tensors[`model.layers.${t}.mlp.weight`] = { dtype: 'float32', shape: [256, 1024], data };
    }
    await writeSafetensors(path.join(m, 'model.safetensors'), tensors);
    fs.writeFileSync(path.join(m, 'config.json'), JSON.stringify({ model_type: 'llama', num_hidden_layers: 8, torch_dtype: 'float32' }));
  }
});

const report: string[] = [];

test('convert to one file killed at many points: nothing or the complete file; an old file survives', async () => {
  const out = path.join(outs, 'conv.safetensors');
  const args = (dtype: string): string[] => ['convert', path.join(a, 'model.safetensors'), '--dtype', dtype, '--out', out];
  assert.is(run(args('BF16')).code, 0);
  const old = fs.readFileSync(out);
  assert.is(run(args('F16')).code, 0);
  const expected = snapshot(out)!;
  const fresh = await killLoop(args('F16'), out, expected);
  const over = await killLoop(args('F16'), out, expected, () => fs.writeFileSync(out, old));
  const stale = nextRunCleans(args('F16'), out, expected);
  report.push(`convert file: fresh ${JSON.stringify(fresh)}, over an existing file ${JSON.stringify(over)}, ${stale} stale temporaries removed`);
  assert.is(fresh.nothing + fresh.complete, POINTS + WRITING.length);
  assert.is(over.old + over.complete, POINTS + WRITING.length);
  assert.ok(fresh.midWrite + over.midWrite > 0, 'some kills landed while the output was being written');
});

test('convert --shard-size killed at many points: the folder appears complete or not at all; an existing one survives', async () => {
  const out = path.join(outs, 'conv_shards');
  const args = ['convert', path.join(a, 'model.safetensors'), '--dtype', 'F16', '--shard-size', '1MB', '--out', out];
  assert.is(run(args).code, 0);
  const expected = snapshot(out)!;
  assert.ok(expected.size > 3 && expected.has('model.safetensors.index.json'), [...expected.keys()].join(', '));
  const fresh = await killLoop(args, out, expected);
  // an existing complete folder (another conversion) is never touched: refused, or killed before
  const other = path.join(dir, 'other_shards');
  assert.is(run(['convert', path.join(b, 'model.safetensors'), '--shard-size', '2MB', '--out', other]).code, 0);
  const refused = run(args.map((x) => (x === out ? other : x)));
  assert.is(refused.code, 1);
  assert.is(refused.err, `ctlkit: ${other}: output folder exists and is not empty (choose a new folder)\n`);
  const over = await killLoop(args, out, expected, () => fs.cpSync(other, out, { recursive: true }));
  const stale = nextRunCleans(args, out, expected);
  report.push(`convert --shard-size: fresh ${JSON.stringify(fresh)}, over an existing folder ${JSON.stringify(over)}, ${stale} stale temporaries removed`);
  assert.is(fresh.nothing + fresh.complete, POINTS + WRITING.length);
  assert.is(over.old, POINTS + WRITING.length);
  assert.ok(fresh.midWrite > 0, 'some kills landed while the folder was being written');
});

test('merge --config killed at many points: the HF folder appears complete or not at all; an existing one survives', async () => {
  const cfg = path.join(dir, 'linear.yml');
  fs.writeFileSync(cfg, `merge_method: linear\nmodels:\n  - {model: ${a}, parameters: {weight: 0.3}}\n  - {model: ${b}, parameters: {weight: 0.7}}\ndtype: bfloat16\n`);
  const out = path.join(outs, 'merged');
  const args = ['merge', '--config', cfg, '--out', out, '--shard-size', '1MB', '--quiet'];
  const first = run(args);
  assert.is(first.code, 0, first.err);
  const expected = snapshot(out)!;
  assert.ok(expected.has('model.safetensors.index.json') && expected.has('config.json') && expected.has('ctlkit_merge.yml'), [...expected.keys()].join(', '));
  const fresh = await killLoop(args, out, expected);
  const other = path.join(dir, 'other_merged');
  assert.is(run(['merge', '--config', cfg, '--out', other, '--quiet']).code, 0);
  const over = await killLoop(args, out, expected, () => fs.cpSync(other, out, { recursive: true }));
  const stale = nextRunCleans(args, out, expected);
  report.push(`merge --config: fresh ${JSON.stringify(fresh)}, over an existing folder ${JSON.stringify(over)}, ${stale} stale temporaries removed`);
  assert.is(fresh.nothing + fresh.complete, POINTS + WRITING.length);
  assert.is(over.old, POINTS + WRITING.length);
  assert.ok(fresh.midWrite > 0, 'some kills landed while the folder was being written');
});

test.after(() => {
  for (const line of report) console.log(`  ${line}`);
  fs.rmSync(dir, { recursive: true, force: true });
});

test.run();
