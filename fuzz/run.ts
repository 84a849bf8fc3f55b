// npm run fuzz: every target in fuzz/targets/ (one file each) for a time budget, each in its own
// process under a hard deadline (a hang is killed and reported, never waited on).
//   node dist/fuzz/run.js [--seconds 60] [--targets safetensors,npy] [--seed 1] [--json out.json]
// Crashing inputs land in fuzz/crashes/<target>/; copy each to test/fixtures/fuzz/<target>/ (the
// regression test replays them) once fixed. Exit status 1 when any target crashed or hung.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fuzzTarget, type FuzzStats } from './engine.js';
import { loadTarget, targetNames } from './registry.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '../..');
function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function child(name: string, seconds: number, seed: number): Promise<void> {
  const stats = await fuzzTarget(name, await loadTarget(name), {
    seconds,
    seed,
    crashDir: path.join(ROOT, 'fuzz/crashes', name),
    corpusDir: process.env.CTLKIT_FUZZ_CORPUS ? path.join(process.env.CTLKIT_FUZZ_CORPUS, name) : undefined,
  });
  process.stdout.write(`STATS ${JSON.stringify(stats)}\n`);
}

async function main(): Promise<void> {
  const seconds = Number(arg('--seconds') ?? 60);
  const seed = Number(arg('--seed') ?? (Date.now() >>> 0));
  const only = arg('--child');
  if (only) return child(only, seconds, seed);
  const names = arg('--targets')?.split(',') ?? targetNames();
  const all: (FuzzStats | { target: string; error: string })[] = [];
  let failed = false;
  for (const name of names) {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', name, '--seconds', String(seconds), '--seed', String(seed)], {
      encoding: 'utf8',
      timeout: (seconds + 60) * 1000,
      killSignal: 'SIGKILL',
      maxBuffer: 64 * 2 ** 20,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = r.stdout?.split('\n').find((l) => l.startsWith('STATS '));
    if (!line) {
      const why = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : `exit ${r.status}`;
      all.push({ target: name, error: `no result (${why})` });
      console.log(`fuzz ${name}: FAILED, no result (${why})`);
      failed = true;
      continue;
    }
    const s = JSON.parse(line.slice(6)) as FuzzStats;
    all.push(s);
    if (s.crashes.length) failed = true;
    console.log(`fuzz ${name}: ${s.executions} executions in ${s.seconds.toFixed(1)} s (${Math.round(s.executions / s.seconds)}/s), corpus ${s.corpus}, ${s.features} coverage features, ${s.crashes.length} crashes (seed ${seed})`);
  }
  const out = arg('--json');
  if (out) fs.writeFileSync(out, JSON.stringify({ seconds, seed, node: process.version, targets: all }, null, 2) + '\n');
  process.exitCode = failed ? 1 : 0;
}

await main();
