// ctlkit merge: write one weight combination (one row of a coefficient matrix) as a checkpoint.
import type { Command } from 'commander';
import { createBackend, type BackendChoice } from '../backends/index.js';
import type { FloatOutDType } from '../io/writer.js';
import { mergeCheckpoint } from '../merge/merge.js';
import { coefficientRow } from '../sweep/coefficients.js';
import { addBasisOptions, matrixFromArgs, type BasisArgs } from './basis_args.js';

interface MergeArgs extends BasisArgs {
  alpha?: string;
  lambda?: string;
  row?: string;
  out: string;
  dtype?: string;
  backend: string;
}

export function register(program: Command): void {
  const cmd = program.command('merge').description('write a weight combination of checkpoints to a safetensors file');
  addBasisOptions(cmd)
    .option('--alpha <a>', 'interpolation weight of A: α θ_A + (1 − α) θ_B')
    .option('--lambda <l>', 'task arithmetic / negation scale')
    .option('--row <k>', 'with --coefficients: which matrix row to write (default: 0)')
    .requiredOption('--out <file>', 'output .safetensors (written to a temporary file, then renamed)')
    .option('--dtype <dtype>', 'float storage dtype: F32 | F16 | BF16, any case (default: the first model\'s)')
    .option('--backend <name>', 'reference | native | webgpu | auto', 'reference')
    .addHelpText('after', '\nExamples:\n  ctlkit merge --average ft_a.safetensors ft_b.safetensors --out avg.safetensors\n  ctlkit merge --task-arithmetic --base pre.safetensors --tasks ft_a.safetensors ft_b.safetensors --lambda 0.4 --out ta.safetensors --dtype F16')
    .action(async (a: MergeArgs) => {
      if ([a.alpha, a.lambda].some((v) => v?.includes(',') || v?.includes(':'))) {
        throw new Error('merge writes one model: --alpha / --lambda take a single number');
      }
      const matrix = matrixFromArgs(a, { flag: '--alpha', value: a.alpha }, { flag: '--lambda', value: a.lambda });
      if (a.row !== undefined && !a.coefficients) throw new Error('--row goes with --coefficients c.json');
      const k = Number(a.row ?? 0);
      if (!Number.isInteger(k) || k < 0 || k >= matrix.k) throw new Error(`--row: expected 0..${matrix.k - 1}, got '${a.row}'`);
      const backend = await createBackend(a.backend as BackendChoice);
      try {
        const coefficients = coefficientRow(matrix, k);
        const s = await mergeCheckpoint(matrix.basis, coefficients, a.out, { dtype: a.dtype?.toUpperCase() as FloatOutDType | undefined, backend });
        console.log(`${s.out}: ${s.combined} tensors combined with [${coefficients.join(', ')}], ${s.copied} integer tensors copied, ${s.dtype}`);
      } finally {
        await backend.dispose();
      }
    });
}
