// Where a stage's parameters come from, on a backend: a checkpoint's tensors uploaded per stage
// (forward), a basis of checkpoints uploaded once and kept (sweep, stitch), and a row of the
// coefficient matrix over that basis — a WeightSum for weight arguments, a combined tensor for the
// rest (formed on first use, released with the row).
import type { Backend, DeviceTensor } from '../backends/backend.js';
import { weightSum } from '../backends/weight_sum.js';
import type { Checkpoint } from '../io/types.js';
import { isFloat, type Tensor } from '../tensor.js';
import type { ParamLookup, Stage } from './family.js';
import { allFinite } from '../util/finite.js';

/** Host tensors by checkpoint name: a checkpoint's `read`, or combined weights. */
export type HostParams = (name: string) => Promise<Tensor> | Tensor;

/** A stage's parameters on a backend. */
export interface StageParams {
  readonly lookup: ParamLookup;
  /** Releases every tensor these parameters put on the backend. */
  release(): void;
}

function unknownParam(stage: Stage, name: string): Error {
  return new Error(`stage ${stage.name} asked for parameter '${name}', which is not among its params (${stage.params.join(', ')})`);
}

/** A ParamLookup over tensors already on the backend (weights are the tensors themselves). */
export function tensorLookup(stage: Stage, get: (name: string) => DeviceTensor | undefined): ParamLookup {
  const lookup = (name: string): DeviceTensor => {
    const t = get(name);
    if (!t) throw unknownParam(stage, name);
    return t;
  };
  return Object.assign(lookup, { weight: lookup });
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
  return { lookup: tensorLookup(stage, (name) => uploaded.get(name)), release };
}

/** Uploads basis parameters on first use and keeps them for the whole run. */
export class BasisParams {
  private readonly cache: Map<string, DeviceTensor>[];
  /** Parameters (basis j, name) that hold a NaN or ±Inf. */
  private readonly nonFinite = new Set<string>();
  /** trackNonFinite: scan each parameter for NaN/±Inf on upload (only othersFinite needs it). */
  constructor(private readonly be: Backend, private readonly ckpts: readonly Checkpoint[], private readonly trackNonFinite = false) {
    this.cache = ckpts.map(() => new Map());
  }

  get count(): number {
    return this.ckpts.length;
  }

  async get(j: number, name: string): Promise<DeviceTensor> {
    const hit = this.cache[j].get(name);
    if (hit) return hit;
    const t: Tensor = await this.ckpts[j].read(name);
    if (!isFloat(t)) throw new Error(`${this.ckpts[j].path}: tensor '${name}' is ${t.dtype}, a model parameter must be float`);
    const d = this.be.upload(t.data, t.shape);
    this.cache[j].set(name, d);
    if (this.trackNonFinite && !allFinite(t.data)) this.nonFinite.add(`${j}\0${name}`);
    return d;
  }

  /** Uploads the stage's parameters of every basis model (if not yet there). */
  async load(stage: Stage): Promise<void> {
    for (let j = 0; j < this.ckpts.length; j++) for (const nm of new Set(stage.params)) await this.get(j, nm);
  }

  /** Basis model j's parameters of a loaded stage. */
  lookup(stage: Stage, j: number): ParamLookup {
    return tensorLookup(stage, (name) => (stage.params.includes(name) ? this.cache[j].get(name) : undefined));
  }

  /** The stage's parameters of the model Σ_j c[j] θ_j (a loaded stage): its declared weights
   *  (Stage.weights) as WeightSums over the basis, formed by the op that reads them; every other
   *  parameter combined now, released with the row. */
  async row(stage: Stage, c: Float64Array): Promise<StageParams> {
    const weights = new Set(stage.weights ?? []);
    const basisOf = (name: string): DeviceTensor[] => this.cache.map((m) => m.get(name)!);
    const formed = new Map<string, DeviceTensor>();
    const release = (): void => {
      for (const t of formed.values()) this.be.release(t);
      formed.clear();
    };
    try {
      for (const name of new Set(stage.params)) {
        if (!weights.has(name)) formed.set(name, (await this.be.combine(basisOf(name), c, 1))[0]);
      }
    } catch (e) {
      release();
      throw e;
    }
    const tensor = (name: string): DeviceTensor => {
      const t = formed.get(name);
      if (t) return t;
      if (weights.has(name)) throw new Error(`stage ${stage.name}: parameter '${name}' is declared a weight: read it with p.weight`);
      throw unknownParam(stage, name);
    };
    const weight = (name: string) => (weights.has(name) ? weightSum(basisOf(name), c) : tensor(name));
    return { lookup: Object.assign(tensor, { weight }), release };
  }

  /** Whether every basis model other than `j` has only finite values in the stage's parameters
   *  (loaded, with trackNonFinite): then 0·w' adds exactly nothing. */
  othersFinite(stage: Stage, j: number): boolean {
    if (!this.trackNonFinite) throw new Error('BasisParams.othersFinite needs trackNonFinite');
    return this.ckpts.every((_, i) => i === j || stage.params.every((nm) => !this.nonFinite.has(`${i}\0${nm}`)));
  }

  /** Releases the stage's parameters (a streamed basis: they are read again when next needed). */
  releaseStage(stage: Stage): void {
    for (const mp of this.cache) {
      for (const nm of new Set(stage.params)) {
        const t = mp.get(nm);
        if (t) this.be.release(t);
        mp.delete(nm);
      }
    }
  }

  release(): void {
    for (const m of this.cache) for (const t of m.values()) this.be.release(t);
    for (const m of this.cache) m.clear();
  }
}
