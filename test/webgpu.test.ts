// WebGPU-specific checks (the op-by-op comparison with the reference lives in backend_ops):
// pipeline cache, buffer pool, shader loading errors and printing, every shader compiling alone,
// and the numerics that are particular to this backend (compensated combine / featureStats).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createWebGPUBackend, hasHardwareAdapter, type WebGPUBackend } from '../src/backends/webgpu/index.js';
import { GpuTensor } from '../src/backends/webgpu/context.js';
import { isSoftwareAdapter } from '../src/backends/webgpu/device.js';
import { BufferPool, sizeClass } from '../src/backends/webgpu/buffer_pool.js';
import { PipelineCache } from '../src/backends/webgpu/pipeline_cache.js';
import { ShaderLoader } from '../src/backends/webgpu/shader_loader.js';
import { normalCdf } from '../src/backends/reference/erf.js';
import { repoRoot } from './harness/paths.js';

const shaderDir = path.join(repoRoot, 'shaders');
const shaderNames = fs.readdirSync(shaderDir).filter((f) => f.endsWith('.wgsl')).map((f) => f.replace(/\.wgsl$/, ''));

let be: WebGPUBackend | null = null;
let noAdapter: Error | null = null;
try {
  be = await createWebGPUBackend();
} catch (e) {
  noAdapter = e as Error;
}

const rand = (n: number, seed: number): Float32Array => {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
};

const t = suite('webgpu');

t('no adapter is a clear error (here: an adapter name that matches none)', async () => {
  let msg = '';
  await createWebGPUBackend({ dawnFlags: ['adapter=ctlkit-no-such-adapter'] }).catch((e: Error) => (msg = e.message));
  assert.match(msg, /^webgpu: no WebGPU adapter found \(on Linux without a GPU install a Vulkan driver such as Mesa ≥ 24 lavapipe\)/);
  if (!be) assert.match(noAdapter!.message, /^webgpu: no WebGPU adapter found/);
});

if (be) {
  const b = be;
  const device = b.dev.device;
  console.log(`webgpu: adapter ${b.dev.adapterName}${isSoftwareAdapter(b.dev.adapter.info) ? ' (software)' : ''}`);

  t('every shaders/*.wgsl compiles on its own and makes a pipeline with its default overrides', async () => {
    assert.ok(shaderNames.length >= 17, `found ${shaderNames.length} shaders`);
    for (const name of shaderNames) {
      const code = fs.readFileSync(path.join(shaderDir, `${name}.wgsl`), 'utf8');
      const module = device.createShaderModule({ label: `test:${name}.wgsl`, code });
      const info = await module.getCompilationInfo();
      const errors = info.messages.filter((m) => m.type === 'error').map((m) => `${name}:${m.lineNum}: ${m.message}`);
      assert.equal(errors, [], `${name}.wgsl`);
      // pipeline creation also validates the entry point, workgroup size and workgroup storage
      await device.createComputePipelineAsync({ label: `test:${name}`, layout: 'auto', compute: { module, entryPoint: 'main' } });
      assert.ok(code.split('\n')[0].startsWith('// '), `${name}.wgsl starts with a math comment`);
    }
  });

  t('a shader that fails to compile yields an error naming the file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctlkit-wgsl-'));
    try {
      fs.writeFileSync(path.join(dir, 'broken.wgsl'), '@compute @workgroup_size(1)\nfn main() { let x = erf(1.0); }\n');
      const cache = new PipelineCache(device, new ShaderLoader(dir));
      let msg = '';
      await cache.get('broken').catch((e: Error) => (msg = e.message));
      assert.ok(msg.includes(path.join(dir, 'broken.wgsl')), msg);
      assert.match(msg, /:2:\d+: .*erf/);
      await cache.get('missing').catch((e: Error) => (msg = e.message));
      assert.ok(msg.includes(path.join(dir, 'missing.wgsl')), msg);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  t('CTLKIT_WEBGPU_PRINT_SHADER prints the final source of the named shader only', () => {
    const written: string[] = [];
    const orig = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => (written.push(String(s)), true)) as typeof process.stderr.write;
    process.env.CTLKIT_WEBGPU_PRINT_SHADER = 'batchNorm';
    try {
      const loader = new ShaderLoader();
      const src = loader.source('batch_norm');
      loader.source('gelu');
      assert.equal(written.length, 1);
      assert.ok(written[0].includes(src) && written[0].includes('batch_norm.wgsl'));
    } finally {
      delete process.env.CTLKIT_WEBGPU_PRINT_SHADER;
      process.stderr.write = orig;
    }
  });

  t('an α sweep of combine compiles its pipeline once, results within 2 ulp of float64', async () => {
    const n = 1000;
    const A = rand(n, 1);
    const B = rand(n, 2);
    const basis = [b.upload(A, [10, 100]), b.upload(B, [10, 100])];
    let createdAfterFirst = -1;
    for (let i = 0; i <= 10; i++) {
      const alpha = i / 10;
      const [out] = await b.combine(basis, new Float64Array([alpha, 1 - alpha]), 1);
      if (i === 0) createdAfterFirst = b.ctx.pipelines.created;
      const got = (await b.read(out)) as Float32Array;
      b.release(out);
      for (let e = 0; e < n; e++) {
        const want = alpha * A[e] + (1 - alpha) * B[e];
        // ≤ 2 float32 ulp of the terms' scale (exact rounding where the driver keeps compensation)
        const scale = Math.abs(alpha * A[e]) + Math.abs((1 - alpha) * B[e]);
        if (Math.abs(got[e] - want) > scale * 2 ** -22) assert.unreachable(`α=${alpha} element ${e}: ${got[e]} vs ${want}`);
      }
    }
    assert.equal(b.ctx.pipelines.created, createdAfterFirst, 'no pipeline created after the first α');
    basis.forEach((t) => b.release(t));
  });

  t('combine with more basis tensors than one dispatch binds (M = 6, K = 2)', async () => {
    const n = 300;
    const data = Array.from({ length: 6 }, (_, j) => rand(n, 10 + j));
    const basis = data.map((d) => b.upload(d, [n]));
    const c = new Float64Array([1, -0.5, 0.25, 0.125, -1, 2, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
    const outs = await b.combine(basis, c, 2);
    for (let k = 0; k < 2; k++) {
      const got = (await b.read(outs[k])) as Float32Array;
      for (let e = 0; e < n; e++) {
        let want = 0;
        for (let j = 0; j < 6; j++) want += c[k * 6 + j] * data[j][e];
        if (Math.abs(got[e] - want) > 1e-6 * (1 + Math.abs(want))) assert.unreachable(`row ${k} element ${e}: ${got[e]} vs ${want}`);
      }
    }
    [...outs, ...basis].forEach((t) => b.release(t));
  });

  t('featureStats matches float64 sums, Inf propagates, only partials are read back', async () => {
    const N = 3;
    const L = 5000; // two chunks per sample
    const F = rand(N * L, 7);
    const X = rand(N * L, 8);
    const Y = rand(N * L, 9);
    F[L + 17] = Infinity;
    const c = [0.7, 0.3];
    const s = await b.featureStats(b.upload(F, [N, 50, 100]), [b.upload(X, [N, 50, 100]), b.upload(Y, [N, 50, 100])], new Float64Array(c));
    for (let n = 0; n < N; n++) {
      let dot = 0, ff = 0, gg = 0;
      for (let e = n * L; e < (n + 1) * L; e++) {
        const g = c[0] * X[e] + c[1] * Y[e];
        dot += F[e] * g;
        ff += F[e] * F[e];
        gg += g * g;
      }
      // compensated sums: 2e-8 relative (plain float32 sums over 5000 terms miss this on ff)
      const scale = { dot: Math.sqrt(ff * gg), ff, gg };
      for (const [name, got, want] of [['dot', s.dot[n], dot], ['ff', s.ff[n], ff], ['gg', s.gg[n], gg]] as const) {
        if (Number.isFinite(want)) assert.ok(Math.abs(got - want) <= 2e-8 * scale[name], `${name}[${n}]: ${got} vs ${want}`);
        else assert.equal(got, want, `${name}[${n}]`);
      }
    }
  });

  t('gelu (erf) is float32-accurate, including the negative tail', async () => {
    const n = 8001;
    const x = Float32Array.from({ length: n }, (_, i) => -10 + i * 0.0025);
    const y = (await b.read(await b.gelu(b.upload(x, [n]), 'erf'))) as Float32Array;
    for (let i = 0; i < n; i++) {
      const want = x[i] * normalCdf(x[i]);
      const err = Math.abs(y[i] - want);
      // ≤ 2e-7 absolute (relative where |y| > 1); ≤ 1e-4 relative down to x = −5
      if (err > 2e-7 * Math.max(1, Math.abs(want))) assert.unreachable(`x=${x[i]}: ${y[i]} vs ${want}`);
      if (x[i] > -5 && err > 1e-4 * Math.abs(want)) assert.unreachable(`x=${x[i]}: relative ${err / Math.abs(want)}`);
    }
  });

  t('embedding validates ids on the host and names the bad id', async () => {
    const table = b.upload(rand(12, 3), [3, 4]);
    let msg = '';
    await b.embedding(b.upload(new Int32Array([0, 2, 3]), [3]), table).catch((e: Error) => (msg = e.message));
    assert.match(msg, /embedding: id 3 at flat index 2 is out of range \[0, 3\)/);
  });

  t('buffer pool: released buffers are reused only after their submit completes', async () => {
    const pool = b.ctx.pool;
    const x = b.upload(rand(1000, 4), [1000]) as GpuTensor;
    const y = (await b.relu(x)) as GpuTensor;
    const yBuf = y.storage.buffer;
    b.release(y);
    const z = (await b.relu(x)) as GpuTensor; // y's buffer is still pending: a different buffer
    assert.not.ok(z.storage.buffer === yBuf);
    await b.flush();
    const reused = pool.reused;
    const w = (await b.relu(x)) as GpuTensor; // after the flush y's 4 KiB buffer is free again
    assert.ok(w.storage.buffer === yBuf);
    assert.is(pool.reused, reused + 2); // w's buffer and its params block
    const r = (await b.read(w)) as Float32Array;
    const xs = (await b.read(x)) as Float32Array;
    assert.equal(Array.from(r), Array.from(xs, (v) => (v < 0 ? 0 : v)));
    [x, z, w].forEach((t) => b.release(t));
  });

  t('buffer pool: size classes, and free buffers beyond the cap are destroyed', async () => {
    assert.equal([1, 256, 257, 4000].map(sizeClass), [256, 256, 512, 4096]);
    const pool = new BufferPool(device, device.limits.maxBufferSize, 1024);
    const bufs = [0, 1, 2].map((i) => pool.acquire(300, `test:${i}`));
    bufs.forEach((x) => pool.release(x));
    await pool.afterSubmit(device.queue);
    const again = [0, 1, 2].map((i) => pool.acquire(300, `test:${i}`));
    assert.is(pool.created, 4); // two 512 B buffers fit the 1 KiB cap; the third was destroyed
    assert.is(pool.reused, 2);
    again.forEach((x) => x.destroy());
    pool.destroy();
    // maxBufferSize is not a power of two (2³² − 1 on lavapipe): above the largest class that fits,
    // buffers have their exact size, and are reused for that size
    const odd = new BufferPool(device, 1000);
    const big = odd.acquire(601, 'test:big');
    assert.is(big.size, 604);
    odd.release(big);
    await odd.afterSubmit(device.queue);
    assert.ok(odd.acquire(602, 'test:big') === big);
    const small = odd.acquire(300, 'test:small');
    assert.is(small.size, 512);
    odd.destroy();
    [big, small].forEach((x) => x.destroy());
  });

  t('dispatches are batched into one submit of up to 64, and a long chain computes correctly', async () => {
    await b.flush();
    const x = b.upload(Float32Array.from([1, -2, 3]), [3]);
    const one = b.upload(Float32Array.from([1, 1, 1]), [3]);
    let y = x;
    let maxPending = 0;
    for (let i = 0; i < 150; i++) {
      const next = await b.add(y, one);
      if (y !== x) b.release(y);
      y = next;
      maxPending = Math.max(maxPending, b.ctx.pending);
    }
    assert.is(maxPending, 63);
    assert.ok(b.ctx.pending > 0, 'work stays encoded until a read or flush');
    assert.equal(Array.from(await b.read(y)), [151, 148, 153]);
    assert.is(b.ctx.pending, 0);
    [x, one, y].forEach((t) => b.release(t));
  });

  t('above maxStorageBufferBindingSize: combine splits into windows, other ops name the op and sizes', async () => {
    const saved = b.ctx.maxBinding;
    b.ctx.maxBinding = 1024; // 256 floats: a 1000-element tensor needs 4 windows
    try {
      const n = 1000;
      const data = Array.from({ length: 6 }, (_, j) => rand(n, 30 + j));
      const basis = data.map((d) => b.upload(d, [n]));
      const c = new Float64Array([0.5, -1, 0.25, 2, 0.125, 1]);
      const [out] = await b.combine(basis, c, 1);
      const got = (await b.read(out)) as Float32Array;
      for (let e = 0; e < n; e++) {
        let want = 0;
        for (let j = 0; j < 6; j++) want += c[j] * data[j][e];
        if (Math.abs(got[e] - want) > 1e-6 * (1 + Math.abs(want))) assert.unreachable(`element ${e}: ${got[e]} vs ${want}`);
      }
      let msg = '';
      await b.relu(basis[0]).catch((e: Error) => (msg = e.message));
      assert.match(msg, /webgpu: relu: tensor \[1000\] needs 4000 bytes, more than the adapter's maxStorageBufferBindingSize 1024/);
      [out, ...basis].forEach((t) => b.release(t));
    } finally {
      b.ctx.maxBinding = saved;
    }
  });

  t('the device has the storage-buffer limits of the adapter; labels name op and shape, shader and overrides', async () => {
    const [dl, al] = [device.limits, b.dev.adapter.limits];
    assert.is(dl.maxStorageBufferBindingSize, al.maxStorageBufferBindingSize);
    assert.is(dl.maxBufferSize, al.maxBufferSize);
    assert.is(b.ctx.maxBinding, al.maxStorageBufferBindingSize);
    const x = b.upload(rand(12, 5), [3, 4]) as GpuTensor;
    const y = (await b.gelu(x, 'tanh')) as GpuTensor;
    assert.is(x.storage.buffer.label, 'ctlkit:upload[3, 4]');
    assert.is(y.storage.buffer.label, 'ctlkit:gelu[3, 4]');
    const pipeline = await b.ctx.pipelines.get('gelu', { WG: 256, APPROX_TANH: true });
    assert.is(pipeline.label, 'ctlkit:gelu{APPROX_TANH=1,WG=256}');
    [x, y].forEach((t) => b.release(t));
  });

  t('hasHardwareAdapter is false exactly on a software adapter (lavapipe/llvmpipe/SwiftShader)', async () => {
    const info = b.dev.adapter.info;
    const software = /llvmpipe|lavapipe|swiftshader/i.test(`${info.vendor} ${info.device} ${info.description}`);
    assert.is(await hasHardwareAdapter(), !software);
    assert.ok(isSoftwareAdapter({ vendor: 'mesa', architecture: '', device: 'llvmpipe (LLVM 15)', description: '' } as GPUAdapterInfo));
    assert.not.ok(isSoftwareAdapter({ vendor: 'nvidia', architecture: 'hopper', device: 'NVIDIA H100', description: '' } as GPUAdapterInfo));
  });

  t.after(async () => {
    await b.dispose();
  });
}

t.run();
