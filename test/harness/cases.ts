// Backend-ops cases (ggml test-backend-ops style): each case is a small record with a printable
// vars() string, inputs drawn from a seeded generator, the op call, and a tolerance with its reason.
// test/backend_ops.test.ts runs them on every available backend against the reference backend;
// bench/ times `run` on chosen cases (`flops` / `bytes` give the work of one run).
import type { Backend, DeviceTensor } from '../../src/backends/backend.js';
import type { HostTensor, OpCase } from './case_kit.js';
import { attentionCases } from './cases_attention.js';
import { combineCases } from './cases_combine.js';
import { conv2dCases } from './cases_conv2d.js';
import { decoderCases } from './cases_decoder.js';
import { elementwiseCases } from './cases_elementwise.js';
import { featureStatsCases } from './cases_feature_stats.js';
import { gemmCases } from './cases_gemm.js';
import { layoutCases } from './cases_layout.js';
import { normCases } from './cases_norm.js';
import { poolCases } from './cases_pool.js';
import { makeRng, seedOf, type Rng } from './rng.js';

export type { CaseOutput, HostTensor, OpCase, Tolerance } from './case_kit.js';
export { TOL } from './case_kit.js';
export { makeRng, seedOf, type Rng } from './rng.js';

/** Every op case, one file per op family of the op table (src/backends/ops.ts). */
export const cases: readonly OpCase[] = [
  ...gemmCases, ...conv2dCases, ...normCases, ...elementwiseCases, ...poolCases, ...attentionCases, ...layoutCases,
  ...combineCases, ...featureStatsCases, ...decoderCases,
];

/** Cases whose vars() contains `filter` (all when it is empty or undefined). */
export function selectCases(filter?: string): OpCase[] {
  return cases.filter((c) => !filter || c.vars().includes(filter));
}

/** A case's generator: seeded by its vars() text, so its inputs are the same on every run. */
export function caseRng(c: OpCase): Rng {
  return makeRng(seedOf(c.vars()));
}

/** Draws a case's host inputs (also sets any non-tensor arguments the case draws, e.g. coefficients). */
export function makeInputs(c: OpCase): HostTensor[] {
  return c.make(caseRng(c));
}

/** Uploads host inputs to `be` (copies, so the host arrays stay the expected values). */
export function uploadInputs(be: Backend, inputs: readonly HostTensor[]): DeviceTensor[] {
  return inputs.map((t) => be.upload(t.data.slice(), t.shape));
}
