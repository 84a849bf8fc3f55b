// The demo's experiments on the bundled checkpoints (examples/<arch>/, see examples/PROVENANCE.md):
// each is a coefficient matrix over checkpoints plus the evaluation data it runs on.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readInputs } from '../io/inputs.js';
import { intValues, isFloat, numel, type FloatTensor, type IntTensor } from '../tensor.js';
import { averaging, interpolation, negation, taskArithmetic, type CoefficientMatrix } from '../sweep/coefficients.js';

/** examples/ at the package root, wherever the command is run from (dist/src/demo → ../../..). */
export const defaultExamplesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'examples');

export const DEMO_ARCHS = ['mlp', 'resnet', 'vit'] as const;

export type ExperimentKind = 'finetuned' | 'control' | 'short' | 'add' | 'negate' | 'average';

/** Evaluation data: 'ab' = half task A (rotated 90°), half task B (180°); 'a' = task A only;
 *  'upright' = the pretraining task (the control task of negation). */
export type DataKind = 'ab' | 'a' | 'upright';

export interface Experiment {
  /** file stem of its results, e.g. `resnet_finetuned` */
  id: string;
  arch: string;
  kind: ExperimentKind;
  /** shown in the report and the tables */
  label: string;
  /** legend name in the report's per-layer comparison */
  short: string;
  matrix: CoefficientMatrix;
  data: DataKind;
}

const SHORT: Record<ExperimentKind, string> = {
  finetuned: 'full pretraining (ft_a ↔ ft_b)',
  short: 'short pretraining',
  control: 'no pretraining (control)',
  add: 'task addition',
  negate: 'negation',
  average: 'average',
};

export interface DemoGrids {
  alphas: number[];
  lambdas: number[];
}

/** The six experiments of one architecture, in the order they run. */
export function demoPlan(examplesDir: string, arch: string, g: DemoGrids): Experiment[] {
  const f = (name: string): string => path.join(examplesDir, arch, `${name}.safetensors`);
  const e = (kind: ExperimentKind, label: string, matrix: CoefficientMatrix, data: DataKind): Experiment => ({
    id: `${arch}_${kind}`,
    arch,
    kind,
    label: `${arch} ${label}`,
    short: SHORT[kind],
    matrix,
    data,
  });
  return [
    e('finetuned', 'finetuned ft_a ↔ ft_b (full pretraining)', interpolation(f('ft_a'), f('ft_b'), g.alphas), 'ab'),
    e('short', 'short pretraining short_a ↔ short_b', interpolation(f('series/short_a'), f('series/short_b'), g.alphas), 'ab'),
    e('control', 'control ↔ control (no pretraining, shared init)', interpolation(f('control_a'), f('control_b'), g.alphas), 'ab'),
    e('add', 'task arithmetic pre + λ(τ_A + τ_B)', taskArithmetic(f('pre'), [f('ft_a'), f('ft_b')], g.lambdas), 'ab'),
    e('negate', 'negation pre − λ τ_A (upright digits)', negation(f('pre'), f('ft_a'), g.lambdas), 'upright'),
    e('average', 'average of hp_1, hp_2, hp_3 (task A)', averaging([f('hp_1'), f('hp_2'), f('hp_3')]), 'a'),
  ];
}

export interface EvalData {
  inputs: FloatTensor;
  labels: IntTensor;
}

async function readEval(file: string): Promise<EvalData> {
  const { inputs, labels } = await readInputs(file);
  if (!isFloat(inputs)) throw new Error(`${file}: inputs must be float, got ${inputs.dtype}`);
  if (!labels) throw new Error(`${file}: no "labels" tensor`);
  return { inputs, labels };
}

/** The first `n` samples of each file, concatenated (labels as int32). */
function concatFirst(parts: readonly EvalData[], n: number): EvalData {
  const per = numel(parts[0].inputs.shape.slice(1));
  const inputs = new Float32Array(n * parts.length * per);
  const labels = new Int32Array(n * parts.length);
  parts.forEach((p, i) => {
    if (p.inputs.shape[0] < n) throw new Error(`demo: an evaluation file has ${p.inputs.shape[0]} samples, ${n} needed`);
    inputs.set(p.inputs.data.subarray(0, n * per), i * n * per);
    labels.set(intValues(p.labels).subarray(0, n), i * n);
  });
  return {
    inputs: { dtype: 'float32', shape: [n * parts.length, ...parts[0].inputs.shape.slice(1)], data: inputs },
    labels: { dtype: 'int32', shape: [n * parts.length], data: labels },
  };
}

/** Evaluation data of one architecture: `samples` in all (split evenly between A and B for 'ab'). */
export async function loadDemoData(examplesDir: string, arch: string, samples: number): Promise<Record<DataKind, EvalData>> {
  const a = await readEval(path.join(examplesDir, arch, 'eval_a.safetensors'));
  const b = await readEval(path.join(examplesDir, arch, 'eval_b.safetensors'));
  const upright = await readEval(path.join(examplesDir, arch, 'eval_pre.safetensors'));
  return { ab: concatFirst([a, b], Math.floor(samples / 2)), a: concatFirst([a], samples), upright: concatFirst([upright], samples) };
}
