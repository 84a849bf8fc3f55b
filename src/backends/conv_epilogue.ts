// The conv2d epilogue as plain ops, for backends that do not fuse it (and as its definition):
// y → batchNorm(y) → y + residual → relu(y), releasing each intermediate.
import type { Backend, ConvEpilogue, DeviceTensor } from './backend.js';

/** Applies `ep` (checked by the op table) to the conv output `y`, taking ownership of it. */
export async function applyConvEpilogue(be: Backend, y: DeviceTensor, ep: ConvEpilogue | undefined): Promise<DeviceTensor> {
  if (ep === undefined) return y;
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
