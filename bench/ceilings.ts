// Machine ceilings measured in the same run as the figures: the FMA peak of every ISA level the CPU
// has (AVX-512, AVX2/FMA, scalar) on one core and on all cores, and the bandwidth of a large
// multithreaded copy (bytes read + written). "% ceiling" is against the widest ISA's peak, whatever
// level the kernels run (CTLKIT_ISA). A ceiling is the best of its samples (noise only lowers it);
// the ops are reported as medians against it.
import os from 'node:os';
import { loadNative, type NativeIsa } from '../src/backends/native/bindings.js';
import { median } from './harness.js';

export interface Ceiling {
  /** GFLOP/s or GB/s: the best sample (the ceiling) and the median */
  best: number;
  median: number;
  samples: number[];
  threads: number;
}

export interface FmaCeilings {
  oneCore: Ceiling;
  allCores: Ceiling;
}

export interface Ceilings {
  /** the widest ISA level of the CPU: fmaOneCore / fmaAllCores are its peaks */
  isa: NativeIsa;
  /** the level the kernels ran in this bench (CTLKIT_ISA, else the widest) */
  kernelIsa: NativeIsa;
  fmaOneCore: Ceiling;
  fmaAllCores: Ceiling;
  /** every level the CPU has, widest first (the scalar loop as 'generic') */
  fmaByIsa: Partial<Record<NativeIsa, FmaCeilings>>;
  copy: Ceiling & { bytes: number };
}

function ceilingOf(samples: number[], threads: number): Ceiling {
  return { best: Math.max(...samples), median: median(samples), samples, threads };
}

export async function measureCeilings(o: { quick: boolean }): Promise<Ceilings> {
  const native = loadNative();
  const cores = os.availableParallelism();
  const repeats = o.quick ? 3 : 7;
  const features = native.cpuFeatures();
  const fma = async (isa: NativeIsa, threads: number): Promise<Ceiling> => {
    // 24·lanes flops per round per thread: ~30 ms per sample at 100 GFLOP/s per core on AVX2
    const iterations = isa === 'avx512' ? 1 << 24 : isa === 'avx2' ? 1 << 24 : 1 << 22;
    const rates: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const x = await native.ceilingsFmaPeak(threads, iterations, isa);
      rates.push(x.flops / x.seconds / 1e9);
    }
    return ceilingOf(rates, threads);
  };
  const fmaByIsa: Partial<Record<NativeIsa, FmaCeilings>> = {};
  for (const isa of features.isas) fmaByIsa[isa] = { oneCore: await fma(isa, 1), allCores: await fma(isa, cores) };
  const widest = fmaByIsa[features.bestIsa]!;
  const bytes = 256 * 2 ** 20;
  const c = await native.ceilingsCopy(bytes, cores, repeats);
  const copy = { ...ceilingOf(c.seconds.map((s) => c.bytesMoved / s / 1e9), cores), bytes };
  return {
    isa: features.bestIsa, kernelIsa: features.chosenIsa, fmaOneCore: widest.oneCore, fmaAllCores: widest.allCores,
    fmaByIsa, copy,
  };
}
