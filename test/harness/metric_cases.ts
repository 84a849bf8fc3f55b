// The sweeps whose every metric (--metric, all six) is checked against tools/metric_goldens.py:
// per fixture family, an interpolation (the released code's names: alpha_int, alpha_A, alpha_B, A_B;
// rows α = 0 and 1 share a basis model's features) and a task-arithmetic matrix with every
// comparison (`--compare all`: general coefficient vectors over three basis models).
import { interpolation, taskArithmetic, type CoefficientMatrix } from '../../src/sweep/coefficients.js';
import { allComparisonsPlan } from '../../src/sweep/plan.js';
import { fixture } from './paths.js';

export const METRIC_CASES = ['interpolate', 'task_all'] as const;
export type MetricCase = (typeof METRIC_CASES)[number];

export function metricCaseMatrix(family: string, c: MetricCase): CoefficientMatrix {
  const p = (m: string): string => fixture('sweeps', family, `${m}.safetensors`);
  if (c === 'interpolate') return interpolation(p('ft_a'), p('ft_b'), [0, 0.4, 1]);
  const m = taskArithmetic(p('pre'), [p('ft_a'), p('ft_b')], [0.3, 0.7]);
  m.plan = allComparisonsPlan(3);
  return m;
}

export const metricCaseInputs = (family: string): string => fixture('sweeps', family, 'inputs.safetensors');
