// Reads shaders/<name>.wgsl from the package root. CTLKIT_WEBGPU_PRINT_SHADER=<name> (the file's
// name or the op's, e.g. batch_norm or batchNorm; 1 for all) prints a shader's final source when
// it is first loaded.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: the nearest ancestor of this file holding package.json and shaders/. */
function findPackageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'shaders'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('webgpu: cannot find the package root (a folder with package.json and shaders/)');
    dir = up;
  }
}

const defaultShaderDir = (): string => path.join(findPackageRoot(), 'shaders');

export class ShaderLoader {
  private readonly sources = new Map<string, string>();

  constructor(readonly dir: string = defaultShaderDir()) {}

  /** Path of a shader file, for error messages. */
  file(name: string): string {
    return path.join(this.dir, `${name}.wgsl`);
  }

  /** Whether CTLKIT_WEBGPU_PRINT_SHADER asks for shader `name`. */
  printing(name: string): boolean {
    const want = process.env.CTLKIT_WEBGPU_PRINT_SHADER;
    const plain = (s: string) => s.replace(/_/g, '').toLowerCase();
    return want === '1' || (!!want && plain(want) === plain(name));
  }

  source(name: string): string {
    let src = this.sources.get(name);
    if (src === undefined) {
      const file = this.file(name);
      try {
        src = fs.readFileSync(file, 'utf8');
      } catch (e) {
        throw new Error(`webgpu: cannot read shader ${file}: ${(e as Error).message}`);
      }
      this.sources.set(name, src);
      if (this.printing(name)) process.stderr.write(`// ---- shader ${file} ----\n${src}\n`);
    }
    return src;
  }
}
