// Machine ceilings measured in the same run as the figures: the AVX2/FMA peak on one core and on
// all cores, and the bandwidth of a large multithreaded copy (bytes read + written). A ceiling is
// the best of its samples (noise only lowers it); the ops are reported as medians against it.
import os from 'node:os';
import { loadNative } from '../src/backends/native/bindings.js';
import { median } from './harness.js';

export interface Ceiling {
  /** GFLOP/s or GB/s: the best sample (the ceiling) and the median */
  best: number;
  median: number;
  samples: number[];
  threads: number;
}

export interface Ceilings {
  isa: string;
  fmaOneCore: Ceiling;
  fmaAllCores: Ceiling;
  copy: Ceiling & { bytes: number };
}

function ceilingOf(samples: number[], threads: number): Ceiling {
  return { best: Math.max(...samples), median: median(samples), samples, threads };
}

export async function measureCeilings(o: { quick: boolean }): Promise<Ceilings> {
  const native = loadNative();
  const cores = os.availableParallelism();
  const repeats = o.quick ? 3 : 7;
  const iterations = 1 << 24; // 192 flops each per thread: ~30 ms at 100 GFLOP/s per core
  let isa = '';
  const fma = async (threads: number): Promise<Ceiling> => {
    const rates: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const x = await native.ceilingsFmaPeak(threads, iterations);
      isa = x.isa;
      rates.push(x.flops / x.seconds / 1e9);
    }
    return ceilingOf(rates, threads);
  };
  const fmaOneCore = await fma(1);
  const fmaAllCores = await fma(cores);
  const bytes = 256 * 2 ** 20;
  const c = await native.ceilingsCopy(bytes, cores, repeats);
  const copy = { ...ceilingOf(c.seconds.map((s) => c.bytesMoved / s / 1e9), cores), bytes };
  return { isa, fmaOneCore, fmaAllCores, copy };
}
