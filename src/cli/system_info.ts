// `ctlkit inspect --system`: what this machine gives ctlkit — the CPU, memory, Node, and the native
// addon's ISA level (the one in use, the widest the CPU and OS allow, every level that can run, the
// BF16 / FP16 / AMX bits) and thread count. WebGPU is not probed here (a probe prints Dawn's
// warnings); `--backend webgpu` on any command reports its adapter.
import os from 'node:os';
import { loadNative, type NativeCpuFeatures } from '../backends/native/bindings.js';

export interface SystemInfo {
  cpu: string;
  cores: number;
  memory_bytes: number;
  node: string;
  platform: string;
  native: ({ loaded: true; version: string; threads: number } & NativeCpuFeatures) | { loaded: false; reason: string };
}

export function systemInfo(): SystemInfo {
  let native: SystemInfo['native'];
  try {
    const m = loadNative();
    native = { loaded: true, version: m.version(), threads: m.numThreads(), ...m.cpuFeatures() };
  } catch (e) {
    native = { loaded: false, reason: (e as Error).message };
  }
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, memory_bytes: os.totalmem(),
    node: process.version, platform: `${process.platform} ${process.arch}`, native,
  };
}

export function formatSystemInfo(s: SystemInfo): string {
  const lines = [`cpu: ${s.cpu}, ${s.cores} cores, ${(s.memory_bytes / 2 ** 30).toFixed(1)} GiB`, `node: ${s.node} (${s.platform})`];
  const n = s.native;
  if (!n.loaded) lines.push(`native addon: not loaded (${n.reason})`);
  else {
    const extras = [n.avx512Bf16 && 'AVX512-BF16', n.avx512Fp16 && 'AVX512-FP16', n.amxBf16 && 'AMX-BF16', n.f16c && 'F16C'].filter(Boolean);
    lines.push(
      `native addon: ${n.version}, ${n.threads} threads`,
      `ISA in use: ${n.isa} (chosen at load: ${n.chosenIsa}; widest: ${n.bestIsa}; can run: ${n.isas.join(', ')}; CTLKIT_ISA forces one)`,
      `other CPU features: ${extras.length ? extras.join(', ') : 'none'}`,
    );
  }
  return lines.join('\n');
}
