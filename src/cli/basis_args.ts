// The basis + coefficient-matrix options shared by `ctlkit sweep` and `ctlkit merge`: exactly one of
// --interpolate, --average, --task-arithmetic (optionally --negate), --coefficients.
import type { Command } from 'commander';
import {
  averaging,
  interpolation,
  matrixFromFile,
  negation,
  taskArithmetic,
  type CoefficientMatrix,
} from '../sweep/coefficients.js';

export interface BasisArgs {
  interpolate?: string[];
  average?: string[];
  taskArithmetic?: boolean;
  base?: string;
  tasks?: string[];
  negate?: boolean;
  coefficients?: string;
  models?: string[];
}

/** Adds the mode options; `grid` says whether α/λ are grids (sweep) or single values (merge). */
export function addBasisOptions(cmd: Command): Command {
  return cmd
    .option('--interpolate <models...>', 'two models A B: θ_α = α θ_A + (1 − α) θ_B')
    .option('--average <models...>', 'N models: their uniform average')
    .option('--task-arithmetic', 'θ0 + λ Σ_i (θ_i − θ0) with --base θ0 --tasks t1 t2 …')
    .option('--base <model>', 'task arithmetic / negation: the pretrained model θ0')
    .option('--tasks <models...>', 'task arithmetic: the finetuned models')
    .option('--negate', 'with --task-arithmetic and one task: θ0 − λ(θ_t − θ0)')
    .option('--coefficients <file>', 'a JSON K×M matrix ([[...], ...] or {"coefficients": [[...]]}) over --models')
    .option('--models <models...>', 'the basis models for --coefficients');
}

/** Builds the matrix; `alphas` / `lambdas` are grid strings (`0:1:11`, `0,0.5`) or single values. */
export function matrixFromArgs(a: BasisArgs, alphas: string | undefined, lambdas: string | undefined): CoefficientMatrix {
  const modes = [a.interpolate && '--interpolate', a.average && '--average', a.taskArithmetic && '--task-arithmetic', a.coefficients && '--coefficients'].filter(Boolean);
  if (modes.length !== 1) {
    throw new Error(`choose exactly one of --interpolate, --average, --task-arithmetic, --coefficients (got ${modes.length ? modes.join(', ') : 'none'})`);
  }
  if (a.negate && !a.taskArithmetic) throw new Error('--negate goes with --task-arithmetic --base θ0 --tasks t');
  if (a.interpolate) {
    if (a.interpolate.length !== 2) throw new Error(`--interpolate: expected two models A B, got ${a.interpolate.length}`);
    return interpolation(a.interpolate[0], a.interpolate[1], alphas ?? '');
  }
  if (a.average) {
    if (a.average.length < 2) throw new Error(`--average: expected at least two models, got ${a.average.length}`);
    return averaging(a.average);
  }
  if (a.taskArithmetic) {
    if (!a.base) throw new Error('--task-arithmetic: missing --base <pretrained model>');
    if (!a.tasks?.length) throw new Error('--task-arithmetic: missing --tasks <finetuned models>');
    if (a.negate) {
      if (a.tasks.length !== 1) throw new Error(`--negate: expected one task model, got ${a.tasks.length}`);
      return negation(a.base, a.tasks[0], lambdas ?? '');
    }
    return taskArithmetic(a.base, a.tasks, lambdas ?? '');
  }
  if (!a.models?.length) throw new Error('--coefficients: missing --models m1 m2 … (the matrix columns)');
  return matrixFromFile(a.coefficients!, a.models);
}
