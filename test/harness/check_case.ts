// Runs one op case on a backend and on the reference, and compares (see compare.ts for what is checked).
import type { Backend, DeviceTensor, OpName } from '../../src/backends/backend.js';
import type { CaseOutput, OpCase } from './case_kit.js';
import { makeInputs, uploadInputs } from './cases.js';
import { changedInputs, compareOutput, outputTensors, readOutputs } from './compare.js';

export interface CaseReport {
  readonly op: OpName;
  readonly vars: string;
  readonly status: 'ok' | 'fail' | 'not supported';
  /** the largest nmse over the case's outputs (NaN when it could not be measured) */
  readonly nmse: number;
  readonly problems: readonly string[];
}

function releaseAll(be: Backend, tensors: readonly DeviceTensor[]): void {
  for (const t of new Set(tensors)) be.release(t);
}

/** Checks case `c` on `be` against `reference`. Never throws for a failure of `be`: it reports it. */
export async function checkCase(be: Backend, reference: Backend, c: OpCase): Promise<CaseReport> {
  const base = { op: c.op, vars: c.vars() };
  if (!be.supports(c.op)) return { ...base, status: 'not supported', nmse: NaN, problems: [] };
  const hosts = makeInputs(c);

  const refInputs = uploadInputs(reference, hosts);
  const refOut = await c.run(reference, refInputs);
  const want = await readOutputs(reference, refOut);
  releaseAll(reference, [...refInputs, ...outputTensors(refOut)]);

  const inputs = uploadInputs(be, hosts);
  let out: CaseOutput;
  try {
    out = await c.run(be, inputs);
  } catch (e) {
    releaseAll(be, inputs);
    return { ...base, status: 'fail', nmse: NaN, problems: [`threw: ${(e as Error).message}`] };
  }
  const outs = outputTensors(out);
  const problems: string[] = [];
  if (outs.some((t) => inputs.includes(t))) problems.push('an output is one of the input tensors (ops must return a new tensor)');
  if (new Set(outs).size !== outs.length) problems.push('the same tensor is returned twice');
  const got = await readOutputs(be, out);
  problems.push(...(await changedInputs(be, inputs, hosts)));
  releaseAll(be, [...inputs, ...outs]);

  if (got.length !== want.length) problems.push(`${got.length} outputs, reference ${want.length}`);
  let worst = 0;
  for (let i = 0; i < Math.min(got.length, want.length); i++) {
    const r = compareOutput(got[i], want[i], c.tol);
    worst = Math.max(worst, r.nmse);
    problems.push(...r.problems);
  }
  return { ...base, status: problems.length ? 'fail' : 'ok', nmse: worst, problems };
}
