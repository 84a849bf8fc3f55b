// The conv2d epilogue as plain ops, for backends that do not fuse it (and as its definition):
// y → batchNorm(y) → y + residual → relu(y), releasing each intermediate.
import type { Backend, ConvEpilogue, DeviceTensor } from './backend.js';

/** Applies `ep` to the conv output `y` (taking ownership of it) and returns the result. */
export async function applyConvEpilogue(be: Backend, y: DeviceTensor, ep: ConvEpilogue | undefined): Promise<DeviceTensor> {
  if (ep === undefined) return y;
  if (ep.residual !== undefined && ep.residual.shape.join() !== y.shape.join()) {
    be.release(y);
    throw new Error(`${be.name} conv2d: epilogue residual has shape [${ep.residual.shape.join(', ')}], expected the output's [${y.shape.join(', ')}]`);
  }
  const steps: ((v: DeviceTensor) => Promise<DeviceTensor>)[] = [];
  const bn = ep.batchNorm;
  if (bn) steps.push((v) => be.batchNorm(v, bn.mean, bn.variance, bn.weight, bn.bias, bn.eps));
  if (ep.residual) {
    const r = ep.residual;
    steps.push((v) => be.add(v, r));
  }
  if (ep.relu) steps.push((v) => be.relu(v));
  let cur = y;
  for (const step of steps) {
    try {
      const next = await step(cur);
      be.release(cur);
      cur = next;
    } catch (e) {
      be.release(cur);
      throw e;
    }
  }
  return cur;
}
