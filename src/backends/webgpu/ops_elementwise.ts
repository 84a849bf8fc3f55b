// Element-wise ops: relu, gelu, quickGelu, add, one thread per output element (shaders/<op>.wgsl).
// Beside each op: the backend-ops tolerance it is held to (test/harness/case_kit.ts TOL, normalised
// MSE against the float64 reference), why it holds here, and the worst nmse measured on lavapipe.
import type { OpPlan } from '../ops.js';
import type { GpuContext, GpuTensor } from './context.js';
import { pointwise } from './pointwise.js';

// TOL.exact: a comparison and a select (0 measured)
export const relu = async (ctx: GpuContext, p: OpPlan<'relu'>, x: GpuTensor) => pointwise(ctx, 'relu', 'relu', p.shape, [x], []);

// TOL.transcendental (1e-10): erf form is a float32 minimax erf (≤ 1e-7 abs, see gelu.wgsl) plus the
// GPU's exp error; tanh form: WGSL's tanh may come from exp with a few ulp (5e-13 measured, both forms)
export const gelu = async (ctx: GpuContext, p: OpPlan<'gelu'>, x: GpuTensor, approximate: 'erf' | 'tanh') =>
  pointwise(ctx, 'gelu', 'gelu', p.shape, [x], [], [], { APPROX_TANH: approximate === 'tanh' });

// TOL.transcendental (1e-10): one exp and a divide per element (the GPU's exp error)
export const quickGelu = async (ctx: GpuContext, p: OpPlan<'quickGelu'>, x: GpuTensor) => pointwise(ctx, 'quickGelu', 'quick_gelu', p.shape, [x], []);

// TOL.exact: one correctly rounded float32 add (0 measured)
export const add = async (ctx: GpuContext, p: OpPlan<'add'>, a: GpuTensor, b: GpuTensor) =>
  pointwise(ctx, 'add', 'add', p.shape, [a, b], [Math.max(1, b.numel)]);
