// `--compute bf16` against float32: the native GEMM at 1024³ and the ViT-S/4 MLP shapes (the
// bench/torch_sweep.py vit: 64 images × 65 tokens, 192 ↔ 768), the two modes run alternately, medians.
// Usage: node dist/bench/compute_bf16.js [--repeats N]
import os from 'node:os';
import { loadNative } from '../src/backends/native/bindings.js';

const nm = loadNative();
const f = nm.cpuFeatures();
if (!f.avx512Bf16 || f.isa !== 'avx512') throw new Error(`compute_bf16: needs AVX512-BF16 at the avx512 level (this CPU: avx512Bf16 ${f.avx512Bf16}, isa ${f.isa})`);
const repeats = Number(process.argv[process.argv.indexOf('--repeats') + 1] ?? 0) || 9;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const shapes: [string, number, number, number, boolean][] = [
  ['square 1024³', 1024, 1024, 1024, false],
  ['ViT-S/4 MLP fc1 (4160×192 · 192→768, transB)', 64 * 65, 192, 768, true],
  ['ViT-S/4 MLP fc2 (4160×768 · 768→192, transB)', 64 * 65, 768, 192, true],
];
console.log(`${os.cpus()[0].model}, ${nm.numThreads()} threads, isa ${f.isa}; ${repeats} alternating runs per mode, medians`);
for (const [label, m, k, n, transB] of shapes) {
  const a = Float32Array.from({ length: m * k }, () => Math.random() - 0.5);
  const b = Float32Array.from({ length: k * n }, () => Math.random() - 0.5);
  const c = new Float32Array(m * n);
  const ms: Record<'f32' | 'bf16', number[]> = { f32: [], bf16: [] };
  for (let r = 0; r <= repeats; r++)
    for (const mode of ['f32', 'bf16'] as const) {
      nm.setCompute(mode);
      const t = process.hrtime.bigint();
      await nm.gemm(a, b, null, c, m, n, k, transB);
      if (r > 0) ms[mode].push(Number(process.hrtime.bigint() - t) / 1e6); // run 0 warms up
    }
  nm.setCompute('f32');
  const gf = (t: number) => (2 * m * n * k) / t / 1e6;
  const f32 = median(ms.f32), bf = median(ms.bf16);
  console.log(`${label}: f32 ${f32.toFixed(2)} ms (${gf(f32).toFixed(0)} GFLOP/s), bf16 ${bf.toFixed(2)} ms (${gf(bf).toFixed(0)} GFLOP/s), ${(f32 / bf).toFixed(2)}×`);
}
