// ctlkit as a dependency: `npm pack` of a copy of the sources (so `prepack` builds dist from nothing),
// `npm install <tgz>` into an empty project, offline; then the addon built inside
// node_modules/ctlkit, `npx ctlkit` (and its demo on the bundled checkpoints), `import { merge } from 'ctlkit'` merging two checkpoints
// written here as raw bytes, and `tsc` on a .ts file using ctlkit's types.
//
// Offline: npm 11 resolves a new dependency's version ranges from full packuments, which `npm ci`
// never fetches, so a bare `npm install --offline <tgz>` cannot resolve them from the cache. The
// project gets a package-lock.json instead, made from the repo's own lockfile (ctlkit's runtime
// dependencies at the versions the repo tested), the way a consumer pins ctlkit's tree; `--offline`
// then installs from the cache `npm ci` filled, and fails loudly if anything is missing there.
// Skipped with one line only when that cache lacks a package and neither CI nor
// CTLKIT_REQUIRE_BACKENDS is set; the addon must build when the repo's own build has one or CI is set.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from './harness/paths.js';

const strict = !!process.env.CI || !!process.env.CTLKIT_REQUIRE_BACKENDS;
const addonRequired = strict || fs.existsSync(path.join(repoRoot, 'build', 'Release', 'ctlkit.node'));
const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  files: string[];
  dependencies: Record<string, string>;
  bin: Record<string, string>;
  license: string;
  engines: Record<string, string>;
};

/** The environment without the parent npm's lifecycle variables (npm_config_local_prefix would point
 *  the child npm at the repo); the cache location is kept. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('npm_') || k === 'npm_config_cache') env[k] = v;
  return env;
}

/** Runs `cmd args` in `cwd`; throws with its output's tail unless it exits 0 (unless `allowFail`). */
function run(cmd: string, args: string[], cwd: string, timeoutMs: number, allowFail = false): { code: number | null; out: string; err: string } {
  const r = spawnSync(cmd, args, { cwd, env: cleanEnv(), encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 });
  const res = { code: r.status, out: r.stdout ?? '', err: r.stderr ?? '' };
  if (!allowFail && r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited with ${r.status}${r.error ? ` (${r.error.message})` : ''}:\n${(res.out + res.err).slice(-3000)}`);
  }
  return res;
}

/** Float32 tensors → safetensors bytes (8-byte header length, JSON header padded to 8, data). */
function safetensorsBytes(tensors: Record<string, { shape: number[]; data: Float32Array }>): Buffer {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, Buffer.from(json), ...Object.values(tensors).map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength))]);
}

/** Reads a safetensors file's F32 tensors (fails on any other dtype). */
function readSafetensors(file: string): Record<string, { shape: number[]; data: Float32Array }> {
  const buf = fs.readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [name, h] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    assert.is(h.dtype, 'F32', `${file}: tensor ${name}`);
    const bytes = buf.subarray(8 + n + h.data_offsets[0], 8 + n + h.data_offsets[1]);
    out[name] = { shape: h.shape, data: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)) };
  }
  return out;
}

/** The consumer's lockfile: the tarball, and ctlkit's runtime dependencies from the repo's lockfile. */
function consumerLock(tgz: string): object {
  const lock = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  const spec = `file:${tgz}`;
  const packages: Record<string, unknown> = {
    '': { name: 'consumer', dependencies: { [pkg.name]: spec } },
    [`node_modules/${pkg.name}`]: {
      version: pkg.version,
      resolved: spec,
      integrity: `sha512-${createHash('sha512').update(fs.readFileSync(tgz)).digest('base64')}`,
      hasInstallScript: true,
      license: pkg.license,
      dependencies: pkg.dependencies,
      bin: pkg.bin,
      engines: pkg.engines,
    },
  };
  for (const [key, entry] of Object.entries(lock.packages)) if (key && !entry.dev) packages[key] = entry;
  return { name: 'consumer', lockfileVersion: 3, requires: true, packages };
}

// Two checkpoints with dyadic values: (1·a + 3·b) / 4 is exact in float32, whatever order a kernel sums in.
const shapes: Record<string, number[]> = { 'fc.weight': [24, 33], 'fc.bias': [24] };
const filled = (f: (i: number) => number) =>
  Object.fromEntries(Object.entries(shapes).map(([name, shape], t) => [name, { shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => f(i + 1000 * t)) }]));
const modelA = filled((i) => (((i * 5) % 17) - 8) / 8);
const modelB = filled((i) => (((i * 7) % 13) - 6) / 4);

const mergeScript = `import { merge } from 'ctlkit';
const config = {
  merge_method: 'linear',
  models: [
    { model: 'a.safetensors', parameters: { weight: 1 } },
    { model: 'b.safetensors', parameters: { weight: 3 } },
  ],
};
const r = await merge(config, { out: 'merged', seed: 0, onProgress: () => {} });
console.log(JSON.stringify({ files: r.files, tensors: r.tensors, native: r.native, reference: r.reference }));
`;

const typesFile = `import { merge, MERGE_METHODS, type MergeConfig, type MergeResult } from 'ctlkit';
const config: MergeConfig = { merge_method: 'linear', models: [{ model: 'a.safetensors', parameters: { weight: 1 } }] };
const done: Promise<MergeResult> = merge(config, { out: 'merged', seed: 1, signal: AbortSignal.timeout(1000) });
const methods: number = MERGE_METHODS.size;
// @ts-expect-error: out is a string (an unresolved, \`any\`-typed ctlkit would not flag this)
void merge(config, { out: 1 });
void done;
void methods;
`;

test('npm pack → npm install <tgz> (offline) in an empty project: addon, npx ctlkit, import { merge }, types', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ctlkit-pack-'));
  try {
    // 1. A copy of what `npm pack` needs from a clean clone (sources, not dist), packed: prepack builds dist.
    const src = path.join(tmp, 'src');
    const copied = ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'src', ...pkg.files.filter((f) => !f.startsWith('dist/'))];
    for (const f of copied) fs.cpSync(path.join(repoRoot, f), path.join(src, f), { recursive: true });
    fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(src, 'node_modules'), 'dir');
    const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', tmp], src, 300_000).out) as { filename: string; files: { path: string }[] }[];
    const tgz = path.join(tmp, packed[0].filename);
    const files = packed[0].files.map((f) => f.path);
    for (const want of ['dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/main.js', 'native/addon.cpp', 'shaders/gemm.wgsl', 'CMakeLists.txt', 'scripts/build-native.mjs', 'examples/mlp/ft_a.safetensors']) {
      assert.ok(files.includes(want), `the tarball lacks ${want}`);
    }
    const stray = files.filter((f) => /^(dist\/(test|bench|fuzz)|build|node_modules|test|src|\.ci)\//.test(f) || f.endsWith('.map'));
    assert.equal(stray, [], 'files in the tarball that an installed package does not need');

    // 2. An empty ES-module project installs the tarball offline; the install script builds the addon.
    const app = path.join(tmp, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2));
    fs.writeFileSync(path.join(app, 'package-lock.json'), JSON.stringify(consumerLock(tgz), null, 2));
    const inst = run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--foreground-scripts', tgz], app, 900_000, true);
    if (inst.code !== 0 && /ENOTCACHED/.test(inst.err) && !strict) {
      console.log(`pack: the npm cache lacks a dependency (${/request to (\S+)/.exec(inst.err)?.[1] ?? 'see npm'}), CI unset: skipped (run \`npm ci\` first)`);
      return;
    }
    assert.is(inst.code, 0, `npm install --offline failed:\n${(inst.out + inst.err).slice(-3000)}`);
    const addon = path.join(app, 'node_modules', 'ctlkit', 'build', 'Release', 'ctlkit.node');
    if (addonRequired) assert.ok(fs.existsSync(addon), `the install script did not build ${addon}:\n${(inst.out + inst.err).slice(-3000)}`);
    else if (!fs.existsSync(addon)) console.log('pack: the addon did not build here (nor in the repo); checking the reference fallback');

    // 3. The bin.
    assert.is(run('npx', ['--offline', 'ctlkit', '--version'], app, 60_000).out.trim(), pkg.version);
    assert.match(run('npx', ['--offline', 'ctlkit', '--help'], app, 60_000).out, /merge/);
    // the demo runs on the checkpoints shipped in the package (examples/<arch>/)
    run('npx', ['--offline', 'ctlkit', 'demo', '--arch', 'mlp', '--samples', '8', '--alphas', '0:1:3', '--lambdas', '0:1:3', '--out', 'rep'], app, 120_000);
    assert.ok(fs.existsSync(path.join(app, 'rep', 'mlp_finetuned.json')) && fs.existsSync(path.join(app, 'rep', 'index.html')), 'ctlkit demo wrote no results');

    // 4. The API: merge two checkpoints; the output is the weighted average computed here.
    fs.writeFileSync(path.join(app, 'a.safetensors'), safetensorsBytes(modelA));
    fs.writeFileSync(path.join(app, 'b.safetensors'), safetensorsBytes(modelB));
    fs.writeFileSync(path.join(app, 'merge.mjs'), mergeScript);
    const r = JSON.parse(run(process.execPath, ['merge.mjs'], app, 120_000).out.trim().split('\n').pop()!) as { files: string[]; tensors: number; native: number; reference: number };
    assert.is(r.tensors, 2);
    if (fs.existsSync(addon)) assert.is(r.native, 2, 'linear runs in the installed addon');
    const merged = readSafetensors(path.join(app, 'merged', 'model.safetensors'));
    assert.equal(Object.keys(merged).sort(), Object.keys(shapes).sort());
    for (const [name, t] of Object.entries(merged)) {
      assert.equal(t.shape, shapes[name], `${name}: shape`);
      const a = modelA[name].data, b = modelB[name].data;
      const bad = t.data.findIndex((v, i) => v !== (1 * a[i] + 3 * b[i]) / 4);
      assert.is(bad, -1, `${name}[${bad}] = ${t.data[bad]}, expected ${(a[bad] + 3 * b[bad]) / 4}`);
    }

    // 5. The types: a strict NodeNext project (with @types/node, as a Node project has; no skipLibCheck).
    fs.writeFileSync(path.join(app, 'use.ts'), typesFile);
    fs.writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', lib: ['ES2022'], strict: true, noEmit: true,
        types: ['node'], typeRoots: [path.join(repoRoot, 'node_modules', '@types')],
      },
      files: ['use.ts'],
    }));
    const tsc = run(process.execPath, [path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], app, 120_000, true);
    assert.is(tsc.code, 0, `tsc on a file importing ctlkit:\n${tsc.out}${tsc.err}`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test.run();
