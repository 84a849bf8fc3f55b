// Streaming forward pass of one model through the stage executor: stage by stage, upload the
// stage's parameters, run it, release them and the previous activation, hand captured hooks out.
// At most one stage's parameters and two activations live on the backend at a time.
import type { Backend, DeviceTensor } from '../backends/backend.js';
import type { Checkpoint } from '../io/types.js';
import { intValues, isFloat, shapeStr, type FloatTensor, type Tensor } from '../tensor.js';
import { executeStages } from './executor.js';
import type { Model } from './family.js';
import { validateInput } from './input.js';
import { uploadStageParams, type HostParams } from './stage_params.js';

export type { HostParams, StageParams } from './stage_params.js';
export { uploadStageParams } from './stage_params.js';

/** Uploads a validated input: float tensors as they are, token ids as int32. */
export function uploadInput(be: Backend, input: Tensor): DeviceTensor {
  return be.upload(isFloat(input) ? input.data : intValues(input), input.shape);
}

/** The hooks to capture: all when `capture` is absent; unknown names are an error listing the model's hooks. */
export function resolveCapture(model: Model, capture: readonly string[] | undefined): Set<string> {
  if (capture === undefined) return new Set(model.hooks);
  const unknown = capture.filter((h) => !model.hooks.includes(h));
  if (unknown.length > 0) {
    throw new Error(`unknown hook${unknown.length > 1 ? 's' : ''} ${unknown.map((h) => `'${h}'`).join(', ')}: this ${model.config.architecture} model's hooks are ${model.hooks.join(', ')}`);
  }
  return new Set(capture);
}

export interface ForwardOptions {
  /** Hooks to capture (default: all). The pass stops after the last captured hook. */
  capture?: readonly string[];
  /** Receives each captured hook's output while it is alive; it must not release it. Without a
   *  callback, forward reads the captured outputs back and returns them. */
  onFeature?: (hook: string, t: DeviceTensor) => Promise<void>;
  signal?: AbortSignal;
  /** Names the input in errors (file and key). */
  inputName?: string;
}

/** Runs `model` with `weights` on `input`; returns host features per captured hook (empty when
 *  `onFeature` receives them instead). */
export async function forward(
  be: Backend,
  model: Model,
  weights: Checkpoint | HostParams,
  input: Tensor,
  opts: ForwardOptions = {},
): Promise<Map<string, FloatTensor>> {
  const wanted = resolveCapture(model, opts.capture);
  validateInput(model, input, opts.inputName ?? 'input');
  const source: HostParams = typeof weights === 'function' ? weights : (name) => weights.read(name);
  const origin = typeof weights === 'function' ? 'weights' : weights.path;
  const last = Math.max(-1, ...model.stages.map((s, i) => (wanted.has(s.name) ? i : -1)));
  const out = new Map<string, FloatTensor>();
  const data = isFloat(input) ? input.data : intValues(input);
  await executeStages(be, model.stages, { data, shape: input.shape }, {
    run: async (stage, _i, [x]) => {
      const params = await uploadStageParams(be, stage, source, origin);
      try {
        return [await stage.run(be, x, params.lookup)];
      } finally {
        params.release();
      }
    },
    after: async (stage, _i, [y]) => {
      if (!wanted.has(stage.name)) return;
      if (opts.onFeature) return void (await opts.onFeature(stage.name, y));
      const d = await be.read(y);
      if (!(d instanceof Float32Array)) throw new Error(`hook ${stage.name}: backend returned ${y.dtype} data, expected float32 ${shapeStr(y.shape)}`);
      out.set(stage.name, { dtype: 'float32', shape: [...y.shape], data: d });
    },
  }, { batch: Math.max(1, input.shape[0]), to: last, signal: opts.signal });
  return out;
}
