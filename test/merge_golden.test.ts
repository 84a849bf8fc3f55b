// Every merge method against the independent PyTorch reference (tools/merge_reference.py, written
// from mergekit's source): 24 configs over four checkpoints (F32, BF16, F16, F32) with odd shapes
// (7×5, 6×5, 3×4×3, vectors), gradients, filters and per-model overrides; float32 output within
// 1e-6. Each case runs on the reference path and, where the method has a kernel, the native one
// on every ISA level the CPU has.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { merge } from '../src/merge/run.js';
import { openCheckpoint } from '../src/io/checkpoint.js';
import { loadMergeAddon } from '../src/merge/native.js';
import { loadNative, type NativeModule } from '../src/backends/native/bindings.js';
import { fixture } from './harness/paths.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ctl-merge-golden-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const root = fixture('merge');
const cases = readdirSync(root).filter((f) => f.endsWith('.yml')).map((f) => f.slice(0, -4)).sort();
const NATIVE = new Set(['linear', 'task_arithmetic', 'ties', 'dare_linear', 'dare_ties', 'model_stock', 'karcher']);
const addon = loadMergeAddon(process.env.CTLKIT_REQUIRE_BACKENDS?.includes('native') ?? false);
const nm = addon ? (loadNative() as NativeModule) : undefined;

async function compare(out: string, expected: string, what: string): Promise<void> {
  const got = await openCheckpoint(out);
  const exp = await openCheckpoint(expected);
  try {
    assert.equal([...got.tensors.keys()], [...exp.tensors.keys()], `${what}: tensor names`);
    for (const name of exp.tensors.keys()) {
      const g = await got.read(name);
      const e = await exp.read(name);
      assert.equal(g.shape, e.shape, `${what}: ${name} shape`);
      if (e.dtype !== 'float32') {
        assert.equal(Array.from(g.data as BigInt64Array), Array.from(e.data as BigInt64Array), `${what}: ${name}`);
        continue;
      }
      const gd = g.data as Float32Array, ed = e.data as Float32Array;
      let worst = 0, at = -1;
      for (let i = 0; i < ed.length; i++) {
        const err = Math.abs(gd[i] - ed[i]) / Math.max(1, Math.abs(ed[i]));
        if (!(err <= worst)) { worst = err; at = i; }
      }
      assert.ok(worst <= 1e-6, `${what}: ${name}[${at}] = ${gd[at]}, expected ${ed[at]} (error ${worst})`);
    }
  } finally {
    await got.close();
    await exp.close();
  }
}

test('the golden cases cover all 17 methods', () => {
  const methods = new Set(cases.map((c) => /merge_method:\s*(\w+)/.exec(readFileSync(path.join(root, `${c}.yml`), 'utf8'))![1]));
  assert.is(methods.size, 17, [...methods].join(', '));
});

for (const c of cases) {
  const yml = readFileSync(path.join(root, `${c}.yml`), 'utf8');
  const method = /merge_method:\s*(\w+)/.exec(yml)![1];
  const backends: ('reference' | 'native')[] = ['reference', ...(NATIVE.has(method) && addon ? ['native' as const] : [])];
  for (const backend of backends) {
    test(`${c} (${backend}) matches the PyTorch reference`, async () => {
      try {
        for (const isa of backend === 'native' ? nm!.cpuFeatures().isas : [undefined]) {
          if (isa) nm!.setIsa(isa);
          const out = path.join(dir, `${c}-${backend}${isa ?? ''}`);
          const r = await merge(yml, { out, dtype: 'F32', seed: 7, backend, baseDir: root, configName: `${c}.yml` });
          assert.is(backend === 'native' ? r.native > 0 && r.reference === 0 : r.native === 0, true, `ran on ${backend}`);
          await compare(out, path.join(root, `${c}.expected.safetensors`), `${c} ${backend} ${isa ?? ''}`);
        }
      } finally {
        nm?.setSimd(true);
      }
    });
  }
}

test.run();
