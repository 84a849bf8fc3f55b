// Small helpers the family builders share: composing ops so intermediates are released.
import type { Backend, DeviceTensor } from '../backends/backend.js';
import type { ParamLookup, Stage } from './family.js';

/** One step of a chain: an op producing a new tensor, or a view (reshape) sharing its input's storage. */
export type Step = ((t: DeviceTensor) => Promise<DeviceTensor>) | { view: (t: DeviceTensor) => DeviceTensor };

/** Applies `steps` to `x` in order; releases every intermediate (once per storage), never `x`.
 *  Views of `x` itself are not released either. */
export async function chain(be: Backend, x: DeviceTensor, steps: readonly Step[]): Promise<DeviceTensor> {
  let cur = x;
  let owned = false; // whether `cur`'s storage belongs to this chain
  try {
    for (const step of steps) {
      if (typeof step === 'function') {
        const next = await step(cur);
        if (owned) be.release(cur);
        cur = next;
        owned = true;
      } else {
        cur = step.view(cur);
      }
    }
  } catch (e) {
    if (owned) be.release(cur);
    throw e;
  }
  if (!owned && cur !== x) {
    throw new Error('chain: a result that is only a view of the input cannot be handed out (it would share storage)');
  }
  return cur;
}

/** y = a + b, then releases a and b unless they are `keep`. */
export async function addReleasing(be: Backend, a: DeviceTensor, b: DeviceTensor, keep: DeviceTensor): Promise<DeviceTensor> {
  try {
    return await be.add(a, b);
  } finally {
    if (a !== keep) be.release(a);
    if (b !== keep) be.release(b);
  }
}

/** A pre-norm transformer block's two residual branches: h = x + attn(x); y = h + mlp(h).
 *  Releases h and every intermediate, never `x`. */
export async function residualPair(be: Backend, x: DeviceTensor, attn: readonly Step[], mlp: readonly Step[]): Promise<DeviceTensor> {
  const h = await addReleasing(be, await chain(be, x, attn), x, x);
  let m: DeviceTensor;
  try {
    m = await chain(be, h, mlp);
  } catch (e) {
    be.release(h);
    throw e;
  }
  return addReleasing(be, h, m, x);
}

export function makeStage(
  name: string,
  hook: boolean,
  params: readonly string[],
  run: (be: Backend, x: DeviceTensor, p: ParamLookup) => Promise<DeviceTensor>,
  opts: { linearInParams?: boolean; weights?: readonly string[] } = {},
): Stage {
  const extra = opts.weights?.filter((w) => !params.includes(w)) ?? [];
  if (extra.length > 0) throw new Error(`stage ${name}: weights ${extra.join(', ')} are not among its params`);
  return {
    name, hook, params: [...params], run,
    ...(opts.linearInParams ? { linearInParams: true } : {}),
    ...(opts.weights?.length ? { weights: [...opts.weights] } : {}),
  };
}

/** `name` or null → the parameter on the backend, or null. */
export const optionalParam = (p: ParamLookup, name: string | null): DeviceTensor | null => (name === null ? null : p(name));
