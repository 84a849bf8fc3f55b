// Turns a backend's kernels into a Backend: every op call is checked by the op table first (ops.ts),
// weight sums are formed for backends that do not take them (the shared fallback), the op's input
// storages are held for the kernel's whole run (BackendCore.holdInputs), and an op the backend
// lacks says "not supported". Backends therefore only compute.
import type { Backend, DeviceContract, DeviceTensor } from './backend.js';
import { OP_NAMES, OPS, type OpName, type OpKernels } from './ops.js';
import { isWeightSum } from './weight_sum.js';

export interface BackendCore extends DeviceContract, OpKernels {
  /** Ops whose weight arguments the backend takes as WeightSums (it forms them while it reads them). */
  readonly weightSumOps?: ReadonlySet<OpName>;
  /** Marks the storages of an op's inputs as being read until the returned function is called:
   *  releasing one meanwhile must not hand its memory to another op. Backends whose ops read their
   *  inputs synchronously, or in queue order (WebGPU), need none. */
  holdInputs?(inputs: readonly DeviceTensor[]): () => void;
}

/** Thrown for an op the backend does not implement (`supports(op)` is false). */
export class OpNotSupportedError extends Error {
  constructor(readonly backend: string, readonly op: OpName) {
    super(`${backend}: op ${op} is not supported by this backend`);
  }
}

const isTensor = (v: unknown): v is DeviceTensor =>
  typeof v === 'object' && v !== null && Array.isArray((v as DeviceTensor).shape) && typeof (v as DeviceTensor).dtype === 'string';

/** Every tensor among an op's arguments (lists, weight sums and epilogue records included). */
function tensorsIn(args: readonly unknown[], out: DeviceTensor[] = []): DeviceTensor[] {
  for (const a of args) {
    if (isTensor(a)) out.push(a);
    else if (Array.isArray(a)) tensorsIn(a, out);
    else if (isWeightSum(a as never)) tensorsIn((a as { basis: unknown[] }).basis, out);
    else if (typeof a === 'object' && a !== null && !ArrayBuffer.isView(a)) tensorsIn(Object.values(a), out);
  }
  return out;
}

type AnyKernel = (plan: unknown, ...args: unknown[]) => Promise<unknown>;

/** The Backend over `core`. Properties of the core (a WebGPU backend's device, say) stay reachable. */
export function checkedBackend<C extends BackendCore>(core: C): C & Backend {
  const be = Object.create(core) as C & Backend;
  const own = be as unknown as Record<string | symbol, unknown>;
  for (const k of ['upload', 'read', 'reshape', 'release', 'flush', 'dispose'] as const) own[k] = core[k].bind(core);
  own.supports = (op: OpName) => typeof (core as OpKernels)[op] === 'function';
  own[Symbol.asyncDispose] = () => core.dispose();
  for (const op of OP_NAMES) own[op] = (...args: unknown[]) => runOp(core, be, op, args);
  return be;
}

async function runOp(core: BackendCore, be: Backend, op: OpName, callArgs: unknown[]): Promise<unknown> {
  const kernel = (core as unknown as Record<string, unknown>)[op] as AnyKernel | undefined;
  if (typeof kernel !== 'function') throw new OpNotSupportedError(core.name, op);
  const spec = OPS[op] as { check: (...a: unknown[]) => unknown; weightArgs?: readonly number[] };
  const plan = spec.check(...callArgs);
  const args = [...callArgs];
  const formed: DeviceTensor[] = [];
  try {
    if (spec.weightArgs && !core.weightSumOps?.has(op)) {
      for (const i of spec.weightArgs) {
        const w = args[i];
        if (!isWeightSum(w as never)) continue;
        const sum = w as { basis: DeviceTensor[]; coeffs: Float64Array };
        const [t] = await be.combine(sum.basis, sum.coeffs, 1);
        formed.push(t);
        args[i] = t;
      }
    }
    const done = core.holdInputs?.(tensorsIn(args));
    try {
      return await kernel.call(core, plan, ...args);
    } finally {
      done?.();
    }
  } finally {
    for (const t of formed) core.release(t);
  }
}
