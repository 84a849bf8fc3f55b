// Shape checks while building a model from a checkpoint header: every parameter is looked up by
// name, must be a float tensor of the expected rank, and its dims are checked against the dims the
// surrounding layers imply. Errors name the file, the tensor and what was expected.
import type { TensorInfo } from '../io/types.js';
import { sameShape, shapeStr } from '../tensor.js';
import { fill } from './naming/template.js';
import { TORCH_PARAMS } from './naming/types.js';

const FLOAT_DTYPES = new Set(['F32', 'F16', 'BF16', 'F64']);

export class ParamTable {
  constructor(
    readonly tensors: ReadonlyMap<string, TensorInfo>,
    readonly source: string,
    readonly family: string,
  ) {}

  error(message: string): Error {
    return new Error(`${this.source}: ${message}`);
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  /** Shape of float tensor `name`, which must exist with `rank` dims. */
  shape(name: string, rank: number, role: string): number[] {
    const info = this.tensors.get(name);
    if (!info) throw this.error(`missing tensor '${name}' (${role}) for a ${this.family} model`);
    if (!FLOAT_DTYPES.has(info.dtype)) throw this.error(`${name} has dtype ${info.dtype}, expected a float dtype (${role})`);
    if (info.shape.length !== rank) {
      throw this.error(`${name} has shape ${shapeStr(info.shape)}, expected ${rank} dims (${role})`);
    }
    return info.shape;
  }

  /** Fails unless `got === expected`: "<name> has <got> <what>, expected <expected> <why>". */
  expect(name: string, got: number, expected: number, what: string, why: string): void {
    if (got !== expected) throw this.error(`${name} has ${got} ${what}, expected ${expected} ${why}`);
  }

  /** A tensor that must have exactly `shape`. */
  exact(name: string, shape: readonly number[], role: string): void {
    const got = this.shape(name, shape.length, role);
    if (!sameShape(got, shape)) {
      throw this.error(`${name} has shape ${shapeStr(got)}, expected ${shapeStr(shape)} (${role})`);
    }
  }
}

/** Checkpoint name of parameter `key` of torch module `m`: ('runningVar', 'bn1') → 'bn1.running_var'. */
const paramName = (key: keyof typeof TORCH_PARAMS, m: string): string => fill(TORCH_PARAMS[key], { m });

export interface ConvInfo {
  weight: string;
  bias: string | null;
  outChannels: number;
  kernel: [number, number];
  params: string[];
}

/** nn.Conv2d `m` (groups 1) reading `inChannels` channels (`why` says where that number comes from). */
export function convParams(t: ParamTable, m: string, inChannels: number, why: string): ConvInfo {
  const weight = paramName('weight', m);
  const [out, inC, kh, kw] = t.shape(weight, 4, `weight of conv ${m}`);
  t.expect(weight, inC, inChannels, 'input channels', why);
  const bias = t.has(paramName('bias', m)) ? paramName('bias', m) : null;
  if (bias) t.exact(bias, [out], `bias of conv ${m}`);
  return { weight, bias, outChannels: out, kernel: [kh, kw], params: bias ? [weight, bias] : [weight] };
}

export interface NormInfo {
  weight: string;
  bias: string;
  mean: string;
  variance: string;
  params: string[];
}

/** nn.BatchNorm2d `m` over `channels` (running statistics for eval mode). */
export function batchNormParams(t: ParamTable, m: string, channels: number, why: string): NormInfo {
  const info = { weight: paramName('weight', m), bias: paramName('bias', m), mean: paramName('runningMean', m), variance: paramName('runningVar', m) };
  for (const name of [info.weight, info.bias, info.mean, info.variance]) {
    t.expect(name, t.shape(name, 1, `BatchNorm ${m}`)[0], channels, 'channels', why);
  }
  return { ...info, params: [info.weight, info.bias, info.mean, info.variance] };
}

/** nn.LayerNorm `m` over a last dim of `dim`. */
export function layerNormParams(t: ParamTable, m: string, dim: number, why: string): { weight: string; bias: string; params: string[] } {
  const weight = paramName('weight', m);
  const bias = paramName('bias', m);
  for (const name of [weight, bias]) t.expect(name, t.shape(name, 1, `LayerNorm ${m}`)[0], dim, 'features', why);
  return { weight, bias, params: [weight, bias] };
}

export interface LinearInfo {
  weight: string;
  bias: string | null;
  outFeatures: number;
  params: string[];
}

/** nn.Linear (`outIn`: weight [out, in]) or HF Conv1D (`inOut`: weight [in, out]) `m` reading `inFeatures`. */
export function linearParams(t: ParamTable, m: string, inFeatures: number, why: string, layout: 'outIn' | 'inOut'): LinearInfo {
  const weight = paramName('weight', m);
  const shape = t.shape(weight, 2, `weight of linear ${m}`);
  const [inDim, outDim] = layout === 'outIn' ? [1, 0] : [0, 1];
  t.expect(weight, shape[inDim], inFeatures, `input features (dim ${inDim})`, why);
  const bias = t.has(paramName('bias', m)) ? paramName('bias', m) : null;
  if (bias) t.exact(bias, [shape[outDim]], `bias of linear ${m}`);
  return { weight, bias, outFeatures: shape[outDim], params: bias ? [weight, bias] : [weight] };
}
