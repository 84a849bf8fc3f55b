// The basis + coefficient-matrix options shared by `ctlkit sweep` and `ctlkit merge`: exactly one of
// --interpolate, --average, --task-arithmetic (optionally --negate), --coefficients.
import type { Command } from 'commander';
import {
  averaging,
  interpolation,
  matrixFromFile,
  negation,
  parseGrid,
  taskArithmetic,
  type CoefficientMatrix,
} from '../sweep/coefficients.js';
import { basisOnly } from '../sweep/checkpoint_rows.js';

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

/** Adds the mode options (the α / λ options are added by each command). */
export function addBasisOptions(cmd: Command): Command {
  return cmd
    .option('--interpolate <models...>', 'two models A B: θ_α = α θ_A + (1 − α) θ_B')
    .option('--average <models...>', 'N models: their uniform average')
    .option('--task-arithmetic', 'θ0 + λ Σ_i (θ_i − θ0) with --base θ0 --tasks t1 t2 …')
    .option('--base <model>', 'task arithmetic / negation: the pretrained model θ0')
    .option('--tasks <models...>', 'task arithmetic: the finetuned models')
    .option('--negate', 'with --task-arithmetic and one task: θ0 − λ(θ_t − θ0)')
    .option('--coefficients <file>', 'a JSON K×M matrix ([[...], ...] or {"coefficients": [[...]]}) over --models')
    .option('--models <models...>', 'the basis models for --coefficients (sweep: or for --merged rows alone)');
}

/** An α or λ option: its name (for messages) and the value given, if any. */
export interface GridArg {
  flag: string;
  value?: string;
}

/** The grid of `g`: its value, else `fallback`; without either the option is required by `mode`. */
function gridOf(g: GridArg, mode: string, fallback: string | undefined): number[] {
  const spec = g.value ?? fallback;
  if (spec === undefined) throw new Error(`${mode}: missing ${g.flag}`);
  return parseGrid(spec, g.flag);
}

/** An option of one mode given without that mode is an error, not silently ignored. */
function checkStray(a: BasisArgs, alpha: GridArg, lambda: GridArg, modelsAlone: boolean, basisAlone: boolean): void {
  const stray: [boolean, string, string][] = [
    [alpha.value !== undefined && !a.interpolate, alpha.flag, '--interpolate A B'],
    [lambda.value !== undefined && !a.taskArithmetic, lambda.flag, '--task-arithmetic (or --task-arithmetic --negate)'],
    [Boolean(a.negate) && !a.taskArithmetic, '--negate', '--task-arithmetic --base θ0 --tasks t'],
    [a.base !== undefined && !a.taskArithmetic, '--base', '--task-arithmetic'],
    [a.tasks !== undefined && !a.taskArithmetic, '--tasks', '--task-arithmetic'],
    [a.models !== undefined && !a.coefficients && !modelsAlone, '--models', basisAlone ? '--coefficients c.json, or alone (no mode) with --merged' : '--coefficients c.json'],
  ];
  for (const [bad, flag, mode] of stray) if (bad) throw new Error(`${flag} goes with ${mode}`);
}

/**
 * Builds the matrix from the mode options and the α / λ options; `fallback` is the grid used when the
 * mode's option is absent (sweep: a default grid; merge: none, the option is required). `merged`
 * (sweep, which has checkpoint rows: --merged): whether any are given; then `--models` without a
 * mode is the basis alone, a matrix of no rows, and the caller adds its rows.
 */
export function matrixFromArgs(a: BasisArgs, alpha: GridArg, lambda: GridArg, fallback?: string, merged?: { given: boolean }): CoefficientMatrix {
  const basisAlone = merged !== undefined;
  const modes = [a.interpolate && '--interpolate', a.average && '--average', a.taskArithmetic && '--task-arithmetic', a.coefficients && '--coefficients'].filter(Boolean);
  if (modes.length > 1) throw new Error(`choose exactly one of --interpolate, --average, --task-arithmetic, --coefficients (got ${modes.join(', ')})`);
  const modelsAlone = merged?.given === true && modes.length === 0 && a.models !== undefined;
  checkStray(a, alpha, lambda, modelsAlone, basisAlone);
  if (modelsAlone) {
    if (a.models!.length === 0) throw new Error('--models: no models given');
    return basisOnly(a.models!);
  }
  if (modes.length === 0) throw new Error(`choose exactly one of --interpolate, --average, --task-arithmetic, --coefficients${basisAlone ? ', or --models with --merged' : ''} (got none; see --help)`);
  if (a.interpolate) {
    if (a.interpolate.length !== 2) throw new Error(`--interpolate: expected two models A B, got ${a.interpolate.length}`);
    return interpolation(a.interpolate[0], a.interpolate[1], gridOf(alpha, '--interpolate', fallback));
  }
  if (a.average) {
    if (a.average.length < 2) throw new Error(`--average: expected at least two models, got ${a.average.length}`);
    return averaging(a.average);
  }
  if (a.taskArithmetic) {
    if (!a.base) throw new Error('--task-arithmetic: missing --base <pretrained model>');
    if (!a.tasks?.length) throw new Error('--task-arithmetic: missing --tasks <finetuned models>');
    const lambdas = gridOf(lambda, a.negate ? '--negate' : '--task-arithmetic', fallback);
    if (a.negate) {
      if (a.tasks.length !== 1) throw new Error(`--negate: expected one task model, got ${a.tasks.length}`);
      return negation(a.base, a.tasks[0], lambdas);
    }
    return taskArithmetic(a.base, a.tasks, lambdas);
  }
  if (!a.models?.length) throw new Error('--coefficients: missing --models m1 m2 … (the matrix columns)');
  return matrixFromFile(a.coefficients!, a.models);
}
