// Shape checks while building a model from a checkpoint header: every parameter is looked up by
// name, must be a float tensor of the expected rank, and its dims are checked against the dims the
// surrounding layers imply. Errors name the file, the tensor and what was expected.
import type { TensorInfo } from '../io/types.js';
import { sameShape, shapeStr } from '../tensor.js';
import { fill } from './naming/template.js';
import { TORCH_PARAMS } from './naming/types.js';
import type { Model } from './family.js';
import { quoteName } from '../util/escape.js';

const FLOAT_DTYPES = new Set(['F32', 'F16', 'BF16', 'F64']);

export class ParamTable {
  /** Optional biases looked up and not found: `kind` says which module (nn.Linear / HF Conv1D, or nn.Conv2d). */
  readonly absentBiases: { name: string; kind: 'linear' | 'conv' }[] = [];

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
  else t.absentBiases.push({ name: paramName('bias', m), kind: 'conv' });
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
  else t.absentBiases.push({ name: paramName('bias', m), kind: 'linear' });
  return { weight, bias, outFeatures: shape[outDim], params: bias ? [weight, bias] : [weight] };
}

// ---- strict loading (PyTorch's load_state_dict(strict=True)) ----

/** Tensors a checkpoint may hold beside the parameters a model reads: buffers that state_dict()
 *  saves but inference does not use. `P + suffix` is expected when `P + sibling` is a parameter the
 *  model reads. Add a row when a family's checkpoints carry another buffer. */
export const KNOWN_BUFFERS: readonly { suffix: string; sibling: string }[] = [
  { suffix: '.num_batches_tracked', sibling: '.running_mean' }, // nn.BatchNorm*
  { suffix: '.attn.bias', sibling: '.attn.c_attn.weight' }, // HF GPT-2 causal mask (older transformers)
  { suffix: '.attn.masked_bias', sibling: '.attn.c_attn.weight' },
  { suffix: '.rotary_emb.inv_freq', sibling: '.q_proj.weight' }, // HF llama-like rotary tables (older transformers)
];

const tables = new WeakMap<Model, ParamTable>();

/** Remembers which table a model was built from (buildModel calls this). */
export function recordParamTable(model: Model, t: ParamTable): void {
  tables.set(model, t);
}

export interface LoadingReport {
  /** Tensors of the checkpoint that no stage reads and that are no known buffer. */
  unexpected: string[];
  /** Parameters the family's modules have by default and the checkpoint lacks (biases). */
  missing: string[];
}

/**
 * What strict loading would refuse. Unexpected: every tensor no stage reads, less KNOWN_BUFFERS.
 * Missing: an nn.Linear / Conv1D bias (their default is bias=True); an nn.Conv2d bias when other
 * convs of the model have one (torchvision convs before a BatchNorm are bias-free by design).
 */
export function loadingReport(model: Model, tensors: ReadonlyMap<string, TensorInfo>): LoadingReport {
  const used = new Set(model.stages.flatMap((s) => s.params));
  const expectedBuffer = (name: string): boolean =>
    KNOWN_BUFFERS.some((b) => name.endsWith(b.suffix) && used.has(name.slice(0, name.length - b.suffix.length) + b.sibling));
  const ignored = (name: string): boolean => (model.ignored ?? []).some((ig) => (ig.endsWith('.') ? name.startsWith(ig) : name === ig));
  const unexpected = [...tensors.keys()].filter((n) => !used.has(n) && !expectedBuffer(n) && !ignored(n)).sort();
  const absent = tables.get(model)?.absentBiases ?? [];
  const convHasBias = [...used].some((n) => n.endsWith('.bias') && tensors.get(n.replace(/\.bias$/, '.weight'))?.shape.length === 4);
  const missing = [...new Set(absent.filter((a) => a.kind === 'linear' || convHasBias).map((a) => a.name))];
  return { unexpected, missing };
}

/** Fails, in one line naming the file, when the checkpoint holds tensors the model does not read
 *  (unless `allowExtra`) or lacks ones it should have (unless `allowMissing`). */
export function checkStrictLoading(model: Model, tensors: ReadonlyMap<string, TensorInfo>, source: string, opts: { allowExtra?: boolean; allowMissing?: boolean } = {}): void {
  const { unexpected, missing } = loadingReport(model, tensors);
  const list = (names: string[]): string =>
    names.slice(0, 5).map((n) => quoteName(n)).join(', ') + (names.length > 5 ? ` and ${names.length - 5} more` : '');
  const parts: string[] = [];
  if (unexpected.length && !opts.allowExtra) parts.push(`unexpected tensor${unexpected.length > 1 ? 's' : ''} ${list(unexpected)} (--allow-extra ignores them)`);
  if (missing.length && !opts.allowMissing) parts.push(`missing tensor${missing.length > 1 ? 's' : ''} ${list(missing)} (--allow-missing runs without them)`);
  if (parts.length) throw new Error(`${source}: strict loading of a ${model.config.architecture} model: ${parts.join('; ')}`);
}
