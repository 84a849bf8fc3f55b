// Quick native-kernel numbers beside the ceilings measured in the same run (the full benchmark
// with PyTorch comparisons is bench/'s job): GEMM GFLOP/s vs the FMA peak loop, combine GB/s vs a
// memory copy. Usage: node bench/native_quick.mjs   (threads: CTLKIT_NUM_THREADS, default all cores)
// On a shared machine wall-clock rates swing with the other load; the "per CPU-second" rates
// (work / process CPU time) show the kernels' efficiency independently of it.
import { createRequire } from 'node:module';

const nm = createRequire(import.meta.url)('../build/Release/ctlkit.node');

const ITER = 1e8;
async function peak() {
  const o = new Float64Array(2);
  const c0 = process.cpuUsage();
  await nm.fmaPeak(o, ITER);
  const cu = process.cpuUsage(c0);
  const perCpu = (ITER * 160 * (1 + nm.numThreads())) / ((cu.user + cu.system) / 1e6) / 1e9;
  return { one: o[0], all: o[1], perCpu };
}

/** CPU seconds (all threads) of one run of fn. */
async function cpuSeconds(fn) {
  const c0 = process.cpuUsage();
  await fn();
  const cu = process.cpuUsage(c0);
  return (cu.user + cu.system) / 1e6;
}

/** Best of `reps` timed runs of `fn`, in seconds. */
async function best(reps, fn) {
  await fn();
  let t = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await fn();
    t = Math.min(t, (performance.now() - t0) / 1e3);
  }
  return t;
}

console.log(`threads ${nm.numThreads()}, cpu ${JSON.stringify(nm.cpuFeatures())}`);
for (const s of [1024, 2048]) {
  const a = new Float32Array(s * s).fill(0.5), b = new Float32Array(s * s).fill(0.25), c = new Float32Array(s * s);
  for (const transB of [false, true]) {
    const p = await peak();
    const run = () => nm.gemm(a, b, null, c, s, s, s, transB);
    const t = await best(s === 1024 ? 5 : 3, run);
    const g = (2 * s ** 3) / t / 1e9, gc = (2 * s ** 3) / (await cpuSeconds(run)) / 1e9;
    console.log(
      `gemm ${s}³ transB=${transB}: ${g.toFixed(1)} GFLOP/s, FMA peak ${p.all.toFixed(1)} (one thread ${p.one.toFixed(1)}) → ${((100 * g) / p.all).toFixed(0)}%;` +
        ` per CPU-second ${gc.toFixed(1)} vs peak ${p.perCpu.toFixed(1)} → ${((100 * gc) / p.perCpu).toFixed(0)}%`,
    );
  }
}
const len = 1 << 23;
const copySrc = new Float32Array(4 * len).fill(1), copyDst = new Float32Array(4 * len);
for (const [m, k] of [[2, 11], [3, 1]]) {
  const basis = Array.from({ length: m }, (_, j) => new Float32Array(len).fill(j + 1));
  const outs = Array.from({ length: k }, () => new Float32Array(len));
  const coeffs = new Float64Array(m * k).fill(0.5);
  const t = await best(5, () => nm.combine(basis, coeffs, outs));
  const tc = await best(5, async () => copyDst.set(copySrc));
  const gb = ((m + k) * len * 4) / t / 1e9, copy = (2 * copySrc.byteLength) / tc / 1e9;
  console.log(`combine M=${m} K=${k}: ${gb.toFixed(1)} GB/s read+written, copy (one thread) ${copy.toFixed(1)} GB/s → ${((100 * gb) / copy).toFixed(0)}%`);
}
