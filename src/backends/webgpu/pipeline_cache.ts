// Compute pipelines cached by shader name + override constants (initialisation-time values only;
// runtime values such as shapes, eps and coefficients travel in buffers), so a sweep compiles
// each pipeline once.
import type { ShaderLoader } from './shader_loader.js';

export type Overrides = Record<string, number | boolean>;

export class PipelineCache {
  private readonly modules = new Map<string, Promise<GPUShaderModule>>();
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();
  /** Number of pipelines created (for tests of the one-compile-per-sweep property). */
  created = 0;

  constructor(private readonly device: GPUDevice, private readonly loader: ShaderLoader) {}

  static key(name: string, overrides: Overrides): string {
    const parts = Object.keys(overrides).sort().map((k) => `${k}=${Number(overrides[k])}`);
    return `${name}{${parts.join(',')}}`;
  }

  get(name: string, overrides: Overrides = {}): Promise<GPUComputePipeline> {
    const key = PipelineCache.key(name, overrides);
    let p = this.pipelines.get(key);
    if (!p) {
      p = this.create(name, key, overrides);
      this.pipelines.set(key, p);
      p.catch(() => this.pipelines.delete(key));
    }
    return p;
  }

  private module(name: string): Promise<GPUShaderModule> {
    let m = this.modules.get(name);
    if (!m) {
      m = this.compile(name);
      this.modules.set(name, m);
      m.catch(() => this.modules.delete(name));
    }
    return m;
  }

  /** Compiles one shader file; compilation errors name the file, line and column. */
  private async compile(name: string): Promise<GPUShaderModule> {
    const code = this.loader.source(name);
    const file = this.loader.file(name);
    this.device.pushErrorScope('validation');
    const module = this.device.createShaderModule({ label: `ctlkit:${name}.wgsl`, code });
    const scope = this.device.popErrorScope(); // popped at once: no other work's errors land in it
    const info = await module.getCompilationInfo();
    const scoped = await scope;
    const errors = info.messages.filter((m) => m.type === 'error');
    if (errors.length > 0 || scoped) {
      const lines = errors.map((m) => `${file}:${m.lineNum}:${m.linePos}: ${m.message}`);
      if (lines.length === 0 && scoped) lines.push(`${file}: ${scoped.message}`);
      throw new Error(`webgpu: shader ${file} failed to compile:\n${lines.join('\n')}`);
    }
    return module;
  }

  private async create(name: string, key: string, overrides: Overrides): Promise<GPUComputePipeline> {
    const module = await this.module(name);
    const constants: Record<string, number> = {};
    for (const [k, v] of Object.entries(overrides)) constants[k] = Number(v);
    try {
      const pipeline = await this.device.createComputePipelineAsync({
        label: `ctlkit:${key}`,
        layout: 'auto',
        compute: { module, entryPoint: 'main', constants },
      });
      this.created++;
      if (this.loader.printing(name)) process.stderr.write(`// ---- pipeline ${key} (override constants) ----\n`);
      return pipeline;
    } catch (e) {
      throw new Error(`webgpu: pipeline ${key} from ${this.loader.file(name)} failed: ${(e as Error).message}`);
    }
  }
}
