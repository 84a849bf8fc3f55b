// Writes one row's model θ = Σ_j c_j θ_j to a safetensors checkpoint, tensor by tensor (one
// tensor's basis copies in memory at a time), atomically (temporary file + rename).
import type { Backend } from '../backends/backend.js';
import { createBackend } from '../backends/index.js';
import { openCheckpoint } from '../io/checkpoint.js';
import type { Checkpoint, TensorInfo } from '../io/types.js';
import { SafetensorsWriter, type FloatOutDType } from '../io/writer.js';
import { isFloat, type FloatTensor } from '../tensor.js';
import { isFloatDType } from './source.js';

/** Every checkpoint holds the same tensor names with the same shapes and float-ness. */
function checkCompatible(ckpts: readonly Checkpoint[]): void {
  const [first, ...rest] = ckpts;
  for (const other of rest) {
    for (const [name, a] of first.tensors) {
      const b = other.tensors.get(name);
      if (!b) throw new Error(`incompatible checkpoints: tensor '${name}' is in ${first.path} but missing from ${other.path}`);
      if (a.shape.join() !== b.shape.join()) {
        throw new Error(`incompatible checkpoints: tensor '${name}' has shape [${a.shape.join(', ')}] in ${first.path} but [${b.shape.join(', ')}] in ${other.path}`);
      }
      if (isFloatDType(a.dtype) !== isFloatDType(b.dtype)) {
        throw new Error(`incompatible checkpoints: tensor '${name}' is ${a.dtype} in ${first.path} but ${b.dtype} in ${other.path}`);
      }
    }
    for (const name of other.tensors.keys()) {
      if (!first.tensors.has(name)) throw new Error(`incompatible checkpoints: tensor '${name}' is in ${other.path} but missing from ${first.path}`);
    }
  }
}

const closeAll = (ckpts: readonly Checkpoint[]) => Promise.all(ckpts.map((c) => c.close().catch(() => undefined)));

export interface MergeOptions {
  /** Storage dtype of float tensors (default: the first model's float dtype; F64 is written as F32). */
  dtype?: FloatOutDType;
  /** Backend doing the combination (default: the reference backend). */
  backend?: Backend;
  metadata?: Record<string, string>;
  /** Checked before each tensor; an abort leaves no output and no temporary file. */
  signal?: AbortSignal;
  /** Called after each tensor is written. */
  onProgress?: (p: MergeProgress) => void;
}

export interface MergeProgress {
  tensor: string;
  tensorsDone: number;
  tensorsTotal: number;
}

export interface MergeSummary {
  out: string;
  tensors: number;
  combined: number;
  copied: number;
  dtype: FloatOutDType;
}

function defaultDType(first: Checkpoint): FloatOutDType {
  const f = [...first.tensors.values()].find((t) => isFloatDType(t.dtype));
  return f && (f.dtype === 'F16' || f.dtype === 'BF16') ? f.dtype : 'F32';
}

export async function mergeCheckpoint(models: readonly string[], coefficients: readonly number[], out: string, opts: MergeOptions = {}): Promise<MergeSummary> {
  if (models.length === 0) throw new Error('merge: no models given');
  if (coefficients.length !== models.length || coefficients.some((c) => !Number.isFinite(c))) {
    throw new Error(`merge: expected ${models.length} finite coefficients (one per model), got [${coefficients.join(', ')}]`);
  }
  if (opts.dtype !== undefined && !['F32', 'F16', 'BF16'].includes(opts.dtype)) {
    throw new Error(`--dtype: expected F32, F16 or BF16, got '${String(opts.dtype)}'`);
  }
  const ckpts: Checkpoint[] = [];
  const ownBackend = opts.backend === undefined;
  let be: Backend | undefined = opts.backend;
  let writer: SafetensorsWriter | undefined;
  try {
    for (const m of models) ckpts.push(await openCheckpoint(m));
    checkCompatible(ckpts);
    const dtype = opts.dtype ?? defaultDType(ckpts[0]);
    const infos: TensorInfo[] = [...ckpts[0].tensors.values()].map((t) => ({
      name: t.name,
      dtype: isFloatDType(t.dtype) ? dtype : t.dtype,
      shape: [...t.shape],
    }));
    be ??= await createBackend('reference');
    const c = Float64Array.from(coefficients);
    writer = await SafetensorsWriter.create(out, infos, opts.metadata);
    let combined = 0;
    let done = 0;
    const tensors = infos.length;
    for (const info of ckpts[0].tensors.values()) {
      opts.signal?.throwIfAborted();
      if (!isFloatDType(info.dtype)) {
        // integer tensors (e.g. num_batches_tracked) are copied from the first model
        await writer.write(info.name, await ckpts[0].read(info.name));
      } else {
        await writer.write(info.name, await combineTensor(be, ckpts, info.name, c));
        combined++;
      }
      opts.onProgress?.({ tensor: info.name, tensorsDone: ++done, tensorsTotal: tensors });
    }
    await writer.commit();
    return { out, tensors, combined, copied: tensors - combined, dtype };
  } catch (e) {
    await writer?.abort();
    throw e;
  } finally {
    await closeAll(ckpts);
    if (ownBackend) await be?.dispose();
  }
}

/** W = Σ_j c_j W_j (float64 accumulation, rounded once to float32). */
async function combineTensor(be: Backend, ckpts: readonly Checkpoint[], name: string, c: Float64Array): Promise<FloatTensor> {
  const basis = [];
  let shape: number[] = [];
  for (const ck of ckpts) {
    const t = await ck.read(name);
    if (!isFloat(t)) throw new Error(`${ck.path}: tensor '${name}' is ${t.dtype}, expected float`);
    shape = t.shape;
    basis.push(be.upload(t.data, t.shape));
  }
  const [w] = await be.combine(basis, c, 1);
  for (const b of basis) be.release(b);
  const data = (await be.read(w)) as Float32Array;
  be.release(w);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new Error(`merge: tensor '${name}' has NaN or Inf at flat index ${i} after combining`);
  }
  return { dtype: 'float32', shape, data };
}
