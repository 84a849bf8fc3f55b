// Config → plan: every output tensor with its inputs and evaluated parameters, built from the
// checkpoint headers alone, so every config or shape error surfaces before a weight is read.
// Layers follow mergekit/plan.py: a tensor's layer is its first integer path component; a layer
// tensor evaluates gradients at t = idx / (n − 1) within its slice (t = 1 when n = 1), others at t = 0.
import { METHODS } from './methods/index.js';
import type { MergeMethod, ParamDef, ParamValue } from './methods/types.js';
import { evaluateSetting, outDType, type MergeConfig, type Parameters } from './config.js';
import { isFloatDType } from '../io/checkpoint_set.js';
import type { Source } from './source.js';
import { shapeStr } from '../tensor.js';
import { showValue } from '../util/escape.js';

export interface PlanInput {
  /** Index into MergePlan.models. */
  model: number;
  tensor: string;
  params: Record<string, ParamValue>;
  /** Position in the config's models (or slice sources) list: keys the random streams. */
  index: number;
}

export interface PlanItem {
  out: string;
  shape: number[];
  /** 'copy': a non-float tensor copied from `inputs[0]`. */
  kind: 'merge' | 'copy';
  base?: { model: number; tensor: string };
  inputs: PlanInput[];
  global: Record<string, ParamValue>;
}

export interface MergePlan {
  method: MergeMethod;
  models: string[];
  items: PlanItem[];
  outDType: 'F32' | 'F16' | 'BF16';
  /** The model whose config.json and tokenizer files go into the output folder. */
  configModel: number;
}

/** The first path component that is a non-negative integer, and its position. */
export function layerOf(name: string): { layer: number; at: number } | undefined {
  const parts = name.split('.');
  const at = parts.findIndex((p) => /^\d+$/.test(p));
  return at < 0 ? undefined : { layer: Number(parts[at]), at };
}

function withLayer(name: string, layer: number): string {
  const l = layerOf(name)!;
  const parts = name.split('.');
  parts[l.at] = String(layer);
  return parts.join('.');
}

export function layerCount(src: Source): number {
  let n = 0;
  for (const name of src.tensors.keys()) n = Math.max(n, (layerOf(name)?.layer ?? -1) + 1);
  return n;
}

interface Src { model: number; params?: Parameters; start: number; key: string; index: number }
interface Slice { sources: Src[]; base?: number; params?: Parameters; layers: number; template: number; key: string }

/** Range checks of mergekit's numeric parameters (names shared by several methods). */
function checkValue(p: ParamDef, v: ParamValue, where: string): void {
  if (p.kind === 'number' && typeof v !== 'number') throw new Error(`${where}: expected a number, got ${showValue(v)}`);
  if (p.kind === 'bool' && typeof v !== 'boolean') throw new Error(`${where}: expected true or false, got ${showValue(v)}`);
  if (p.kind === 'string' && (typeof v !== 'string' || (p.choices && !p.choices.includes(v)))) {
    throw new Error(`${where}: expected ${p.choices?.map((c) => `'${c}'`).join(' or ') ?? 'a string'}, got ${showValue(v)}`);
  }
  const unit = ['density', 'gamma', 'select_topk'];
  if (typeof v === 'number' && unit.includes(p.name) && !(v >= 0 && v <= 1)) throw new Error(`${where}: must be in [0, 1], got ${v}`);
  if (typeof v === 'number' && p.name === 'epsilon' && !(v >= 0)) throw new Error(`${where}: must be ≥ 0, got ${v}`);
  if (typeof v === 'number' && p.name === 'max_iter' && !(Number.isInteger(v) && v >= 0)) throw new Error(`${where}: must be a non-negative integer, got ${v}`);
}

/** First defined value along the precedence chain (a 0 or false is a value: it does not fall through). */
function lookup(name: string, chain: (Parameters | undefined)[], tensor: string, t: number): ParamValue | undefined {
  for (const ps of chain) {
    if (ps && Object.prototype.hasOwnProperty.call(ps, name)) {
      const v = evaluateSetting(ps[name], tensor, t);
      if (v !== undefined) return v;
    }
  }
  return undefined;
}

export function buildPlan(cfg: MergeConfig, sources: Source[], paths: string[], file: string, dtypeOverride?: 'F32' | 'F16' | 'BF16'): MergePlan {
  const method = METHODS.get(cfg.merge_method)!;
  const ref = (p: string) => paths.indexOf(p);
  const slices: Slice[] = [];
  const configBase = cfg.base_model !== undefined ? ref(cfg.base_model) : undefined;
  if (cfg.models) {
    const sources0: Src[] = cfg.models.map((m, i) => ({ model: ref(m.model), params: m.parameters, start: 0, key: `models[${i}]`, index: i }));
    if (configBase !== undefined && !sources0.some((s) => s.model === configBase)) {
      sources0.push({ model: configBase, start: 0, key: 'base_model', index: sources0.length });
    }
    const template = configBase ?? sources0[0].model;
    slices.push({ sources: sources0, base: configBase, layers: layerCount(sources[template]), template, key: 'models' });
  } else {
    cfg.slices!.forEach((s, i) => {
      const srcs: Src[] = s.sources.map((x, j) => ({ model: ref(x.model), params: x.parameters, start: x.layer_range[0], key: `slices[${i}].sources[${j}]`, index: j }));
      const b = s.base_model !== undefined ? ref(s.base_model) : configBase;
      if (b !== undefined && method.base !== 'unused' && !srcs.some((x) => x.model === b)) {
        throw new Error(`${file}: slices[${i}]: the base model ${paths[b]} must be one of the slice's sources`);
      }
      for (const [j, x] of s.sources.entries()) {
        const have = layerCount(sources[ref(x.model)]);
        if (x.layer_range[1] > have) throw new Error(`${file}: slices[${i}].sources[${j}].layer_range: ${showValue(x.layer_range)} runs past the ${have} layers of ${x.model}`);
      }
      slices.push({ sources: srcs, base: b, params: s.parameters, layers: s.sources[0].layer_range[1] - s.sources[0].layer_range[0], template: srcs[0].model, key: `slices[${i}]` });
    });
  }
  if (method.base === 'required' && slices.some((s) => s.base === undefined)) throw new Error(`${file}: base_model: required by ${method.name}`);

  const items: PlanItem[] = [];
  const seen = new Set<string>();
  const add = (slice: Slice, name: string, srcLayer: (s: Src) => number | undefined, outName: string, t: number) => {
    if (seen.has(outName)) throw new Error(`${file}: ${slice.key}: output tensor "${outName}" is produced twice`);
    seen.add(outName);
    const tmpl = sources[slice.template].tensors.get(name)!;
    const nameIn = (s: Src) => { const l = srcLayer(s); return l === undefined ? name : withLayer(name, l); };
    const base = method.base !== 'unused' ? slice.sources.find((s) => s.model === slice.base) : undefined;
    const parts = method.inputs === 'others' ? slice.sources.filter((s) => s !== base)
      : method.inputs === 'listed' ? slice.sources.filter((s) => s.key !== 'base_model') : slice.sources;
    for (const s of base ? [...parts, base] : parts) {
      const tn = nameIn(s);
      const info = sources[s.model].tensors.get(tn);
      if (!info) throw new Error(`${file}: ${s.key}: ${paths[s.model]} has no tensor "${tn}" (needed for "${outName}")`);
      if (info.shape.join() !== tmpl.shape.join()) throw new Error(`${file}: ${s.key}: tensor "${tn}" of ${paths[s.model]} is ${shapeStr(info.shape)}, expected ${shapeStr(tmpl.shape)}`);
      if (isFloatDType(info.dtype) !== isFloatDType(tmpl.dtype)) throw new Error(`${file}: ${s.key}: tensor "${tn}" of ${paths[s.model]} is ${info.dtype}, expected a ${isFloatDType(tmpl.dtype) ? 'float' : tmpl.dtype} tensor`);
    }
    if (!isFloatDType(tmpl.dtype)) {
      const from = base ?? parts[0];
      items.push({ out: outName, shape: [...tmpl.shape], kind: 'copy', inputs: [{ model: from.model, tensor: nameIn(from), params: {}, index: from.index }], global: {} });
      return;
    }
    if (parts.length < method.minInputs || (method.maxInputs !== undefined && parts.length > method.maxInputs)) {
      const want = method.maxInputs === method.minInputs ? `${method.minInputs}` : method.maxInputs === undefined ? `at least ${method.minInputs}` : `${method.minInputs} to ${method.maxInputs}`;
      throw new Error(`${file}: ${slice.key}: ${method.name} merges ${want} model(s)${method.base === 'unused' ? '' : ' besides the base'}, got ${parts.length}`);
    }
    const global: Record<string, ParamValue> = {};
    for (const p of method.params) {
      const v = lookup(p.name, [slice.params, cfg.parameters], outName, t) ?? p.default;
      if (v === undefined) {
        if (p.required) throw new Error(`${file}: parameters.${p.name}: required by ${method.name} (tensor "${outName}")`);
        continue;
      }
      checkValue(p, v, `${file}: parameters.${p.name} (tensor "${outName}")`);
      global[p.name] = v;
    }
    const inputs = parts.map((s) => {
      const params: Record<string, ParamValue> = {};
      for (const p of method.tensorParams) {
        const v = lookup(p.name, [s.params, slice.params, cfg.parameters], outName, t) ?? p.default;
        if (v === undefined) {
          if (p.required) throw new Error(`${file}: ${s.key}.parameters.${p.name}: required by ${method.name} (tensor "${outName}")`);
          continue;
        }
        checkValue(p, v, `${file}: ${s.key}.parameters.${p.name} (tensor "${outName}")`);
        params[p.name] = v;
      }
      return { model: s.model, tensor: nameIn(s), params, index: s.index };
    });
    items.push({ out: outName, shape: [...tmpl.shape], kind: 'merge', base: base && { model: base.model, tensor: nameIn(base) }, inputs, global });
  };

  // tensors outside layers: from the first slice's models, at t = 0
  const first = slices[0];
  for (const name of sources[first.template].tensors.keys()) if (!layerOf(name)) add(first, name, () => undefined, name, 0);
  let outLayer = 0;
  for (const slice of slices) {
    const tmplSrc = slice.sources.find((s) => s.model === slice.template)!;
    for (let idx = 0; idx < slice.layers; idx++) {
      const t = slice.layers > 1 ? idx / (slice.layers - 1) : 1;
      for (const name of sources[slice.template].tensors.keys()) {
        if (layerOf(name)?.layer !== tmplSrc.start + idx) continue;
        add(slice, name, (s) => s.start + idx, withLayer(name, outLayer), t);
      }
      outLayer++;
    }
  }
  items.sort((a, b) => (a.out < b.out ? -1 : a.out > b.out ? 1 : 0));
  const firstFloat = items.find((i) => i.kind === 'merge');
  const fallback = (): 'F32' | 'F16' | 'BF16' => {
    if (!firstFloat) return 'F32';
    const d = sources[(firstFloat.base ?? firstFloat.inputs[0]).model].tensors.get((firstFloat.base ?? firstFloat.inputs[0]).tensor)!.dtype;
    return d === 'F16' || d === 'BF16' ? d : 'F32';
  };
  const od = dtypeOverride ?? (cfg.out_dtype ? outDType(cfg.out_dtype, 'out_dtype') : cfg.dtype ? outDType(cfg.dtype, 'dtype') : fallback());
  return { method, models: paths, items, outDType: od, configModel: first.base ?? first.template };
}
