// Crash safety of outputs: `ctlkit merge` and `ctlkit sweep --out` are SIGKILLed at many points
// (before, during and after writing). At every point the output path holds nothing or a complete,
// valid file equal to an uninterrupted run's; an existing complete output survives a killed
// overwrite (old or new, never a mix); temporaries left by the kills are removed by the next run.
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
const POINTS = Number(process.env.CTLKIT_KILL_POINTS ?? 12);

/** Runs ctlkit and SIGKILLs it `ms` after the spawn; resolves once it is gone. */
function runAndKill(args: string[], ms: number): Promise<{ killed: boolean; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ killed: signal === 'SIGKILL', code });
    });
  });
}

/** Runs ctlkit and SIGKILLs it `after` ms after a new temporary appears in `dir` (so the kill lands
 *  while the output is being written); resolves with whether one was seen before the run ended. */
function killWhileWriting(args: string[], after: number): Promise<{ sawTemp: boolean }> {
  return new Promise((resolve) => {
    const before = new Set(tempLeftovers(dir));
    const child = spawn(process.execPath, [bin, ...args], { stdio: 'ignore' });
    let sawTemp = false;
    const poll = setInterval(() => {
      if (sawTemp || !tempLeftovers(dir).some((t) => !before.has(t))) return;
      sawTemp = true;
      setTimeout(() => child.kill('SIGKILL'), after);
    }, 1);
    child.on('exit', () => {
      clearInterval(poll);
      resolve({ sawTemp });
    });
  });
}

function timed(args: string[]): { ms: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  return { ms: performance.now() - t0 };
}

async function validSafetensors(file: string): Promise<void> {
  const ck = await openCheckpoint(file);
  try {
    for (const n of ck.tensors.keys()) await ck.read(n);
  } finally {
    await ck.close();
  }
}

interface Tally { nothing: number; complete: number; old: number; duringWrite: number }

/** Kills `args` at POINTS times spread over 1.2 × a full run; checks `out` after each. */
async function killLoop(args: string[], out: string, expected: Buffer, previous: Buffer | undefined, check: (f: string) => Promise<void>): Promise<Tally> {
  const full = timed(args).ms;
  const reference = fs.readFileSync(out);
  assert.ok(reference.equals(expected), 'an uninterrupted run writes the expected bytes');
  const tally: Tally = { nothing: 0, complete: 0, old: 0, duringWrite: 0 };
  // POINTS kills spread over the run, then 4 kills timed from the moment the temporary appears
  const WRITING = [0, 5, 20, 60];
  for (let i = 0; i < POINTS + WRITING.length; i++) {
    if (previous) fs.writeFileSync(out, previous);
    else fs.rmSync(out, { force: true });
    const before = new Set(tempLeftovers(dir));
    if (i < POINTS) await runAndKill(args, (full * 1.2 * i) / (POINTS - 1));
    else await killWhileWriting(args, WRITING[i - POINTS]);
    if (tempLeftovers(dir).some((t) => !before.has(t))) tally.duringWrite++;
    if (!fs.existsSync(out)) {
      assert.not.ok(previous, `kill ${i}: the existing output was removed`);
      tally.nothing++;
      continue;
    }
    const got = fs.readFileSync(out);
    if (previous && got.equals(previous)) {
      tally.old++;
      continue;
    }
    assert.ok(got.equals(expected), `kill ${i} at ${((full * 1.2 * i) / (POINTS - 1)).toFixed(0)} ms: ${out} holds ${got.length} bytes that are neither the old nor the complete new output`);
    await check(out);
    tally.complete++;
  }
  // the next complete run removes what the killed ones left
  timed(args);
  assert.equal(tempLeftovers(dir), [], 'temporaries of killed runs were removed');
  return tally;
}

const a = path.join(dir, 'a.safetensors');
const b = path.join(dir, 'b.safetensors');

test.before(async () => {
  const tensors = (seed: number): Record<string, { dtype: 'float32'; shape: number[]; data: Float32Array }> => {
    const out: Record<string, { dtype: 'float32'; shape: number[]; data: Float32Array }> = {};
    for (let t = 0; t < 8; t++) {
      const data = new Float32Array(256 * 1024);
      for (let i = 0; i < data.length; i++) data[i] = Math.sin(seed * 7.1 + t * 1.3 + i * 0.001);
      out[`layer${t}.weight`] = { dtype: 'float32', shape: [256, 1024], data };
    }
    return out;
  };
  await writeSafetensors(a, tensors(1));
  await writeSafetensors(b, tensors(2));
});

test('merge killed at many points: the output is nothing or the complete file; an old output survives', async () => {
  const out = path.join(dir, 'merged.safetensors');
  const args = (alpha: string): string[] => ['merge', '--interpolate', a, b, '--alpha', alpha, '--out', out];
  timed(args('0.75'));
  const old = fs.readFileSync(out);
  timed(args('0.25'));
  const expected = fs.readFileSync(out);
  assert.not.ok(old.equals(expected));
  const fresh = await killLoop(args('0.25'), out, expected, undefined, validSafetensors);
  const over = await killLoop(args('0.25'), out, expected, old, validSafetensors);
  const n = POINTS + 4;
  console.log(`  merge: ${n} kills into a fresh path (${JSON.stringify(fresh)}), ${n} over an existing output (${JSON.stringify(over)})`);
  assert.is(fresh.nothing + fresh.complete, n);
  assert.is(over.old + over.complete, n);
  assert.ok(fresh.duringWrite + over.duringWrite > 0, 'some kills landed while the output was being written');
});

test('sweep --out killed at many points: results.json is absent or complete; an old one survives', async () => {
  const fx = path.join(repoRoot, 'test/fixtures/models/mlp');
  const out = path.join(dir, 'results.json');
  const args = ['sweep', '--interpolate', path.join(fx, 'model.safetensors'), path.join(fx, 'model.safetensors'), '--alphas', '0:1:41', '--inputs', path.join(fx, 'inputs.safetensors'), '--backend', 'reference', '--out', out];
  timed(args);
  const shape = (buf: Buffer): unknown => {
    const r = JSON.parse(buf.toString('utf8')) as { rows: unknown[]; layers: string[] };
    return [r.rows.length, r.layers];
  };
  const expected = fs.readFileSync(out);
  // results hold timings, so runs differ in bytes: compare what a complete file must hold
  const check = async (f: string): Promise<void> => assert.equal(shape(fs.readFileSync(f)), shape(expected));
  const old = Buffer.from('{"old": true}\n');
  const tally: Tally = { nothing: 0, complete: 0, old: 0, duringWrite: 0 };
  const full = timed(args).ms;
  for (const previous of [undefined, old]) {
    for (let i = 0; i < POINTS; i++) {
      if (previous) fs.writeFileSync(out, previous);
      else fs.rmSync(out, { force: true });
      await runAndKill(args, (full * 1.2 * i) / (POINTS - 1));
      if (!fs.existsSync(out)) {
        assert.not.ok(previous, `kill ${i}: the existing results were removed`);
        tally.nothing++;
      } else if (previous && fs.readFileSync(out).equals(previous)) tally.old++;
      else {
        await check(out);
        tally.complete++;
      }
    }
  }
  timed(args);
  assert.equal(tempLeftovers(dir), []);
  console.log(`  sweep --out: ${2 * POINTS} kills (${JSON.stringify(tally)})`);
  assert.is(tally.nothing + tally.complete + tally.old, 2 * POINTS);
});

test.run();
