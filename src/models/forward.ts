// Streaming forward pass: stage by stage, upload the stage's parameters, run it, release the
// previous activation and the parameters, hand captured hooks out. At most one stage's parameters
// and two activations live on the backend at a time.
import type { Backend, DeviceTensor } from '../backends/backend.js';
import type { Checkpoint } from '../io/types.js';
import { intValues, isFloat, shapeStr, type FloatTensor, type Tensor } from '../tensor.js';
import type { Model, ParamLookup, Stage } from './family.js';
import { validateInput } from './input.js';

/** Host tensors by checkpoint name: a checkpoint's `read`, or the sweep's combined weights. */
export type HostParams = (name: string) => Promise<Tensor> | Tensor;

/** A stage's parameters on a backend. */
export interface StageParams {
  readonly lookup: ParamLookup;
  /** Releases every uploaded parameter. */
  release(): void;
}

/** Uploads `stage.params` taken from `source` (`origin` names it in errors: a path, a row). */
export async function uploadStageParams(be: Backend, stage: Stage, source: HostParams, origin: string): Promise<StageParams> {
  const hosts = await Promise.all(stage.params.map(async (name) => source(name)));
  const uploaded = new Map<string, DeviceTensor>();
  const release = (): void => {
    for (const t of uploaded.values()) be.release(t);
    uploaded.clear();
  };
  try {
    stage.params.forEach((name, i) => {
      const t = hosts[i];
      if (!isFloat(t)) throw new Error(`${origin}: parameter '${name}' of stage ${stage.name} has dtype ${t.dtype}, expected float`);
      uploaded.set(name, be.upload(t.data, t.shape));
    });
  } catch (e) {
    release();
    throw e;
  }
  const lookup: ParamLookup = (name) => {
    const t = uploaded.get(name);
    if (!t) throw new Error(`stage ${stage.name} asked for parameter '${name}', which is not among its params (${stage.params.join(', ')})`);
    return t;
  };
  return { lookup, release };
}

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
  /** Start after this hook, with `input` standing for its output (stitching: injected features). */
  startAfter?: string;
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
  let start = 0;
  if (opts.startAfter === undefined) {
    validateInput(model, input, opts.inputName ?? 'input');
  } else {
    start = model.stages.findIndex((s) => s.name === opts.startAfter && s.hook) + 1;
    if (start === 0) resolveCapture(model, [opts.startAfter]);
    if (!isFloat(input)) throw new Error(`${opts.inputName ?? 'input'}: features injected after ${opts.startAfter} must be float32, got ${input.dtype}`);
  }
  const source: HostParams = typeof weights === 'function' ? weights : (name) => weights.read(name);
  const origin = typeof weights === 'function' ? 'weights' : weights.path;
  const last = Math.max(-1, ...model.stages.map((s, i) => (wanted.has(s.name) ? i : -1)));
  const out = new Map<string, FloatTensor>();
  let x = uploadInput(be, input);
  try {
    for (const stage of model.stages.slice(start, last + 1)) {
      opts.signal?.throwIfAborted();
      const params = await uploadStageParams(be, stage, source, origin);
      let y: DeviceTensor;
      try {
        y = await stage.run(be, x, params.lookup);
      } finally {
        params.release();
      }
      be.release(x);
      x = y;
      if (!wanted.has(stage.name)) continue;
      if (opts.onFeature) {
        await opts.onFeature(stage.name, y);
      } else {
        const data = await be.read(y);
        if (!(data instanceof Float32Array)) throw new Error(`hook ${stage.name}: backend returned ${y.dtype} data, expected float32 ${shapeStr(y.shape)}`);
        out.set(stage.name, { dtype: 'float32', shape: [...y.shape], data });
      }
    }
  } finally {
    be.release(x);
  }
  return out;
}
