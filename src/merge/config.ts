// mergekit's YAML schema (mergekit/config.py MergeConfiguration, evaluate_setting, ConfigReader):
// parsing, shape checks with one-line errors naming the key, and parameter evaluation per tensor.
import { parseDocument } from 'yaml';
import { displayName, escapeText, showValue } from '../util/escape.js';
import { METHODS, type MethodName } from './methods/index.js';
import type { ParamValue } from './methods/types.js';

export type Scalar = number | boolean | string;
export interface ConditionalSetting { value: Scalar | number[]; filter?: string }
/** A scalar, a gradient (numbers interpolated across layers), or filter-matched values. */
export type ParameterSetting = Scalar | Scalar[] | ConditionalSetting | ConditionalSetting[];
export type Parameters = Record<string, ParameterSetting>;

export interface ModelEntry { model: string; parameters?: Parameters }
export interface SliceSource { model: string; layer_range: [number, number]; parameters?: Parameters }
export interface SliceDef { sources: SliceSource[]; base_model?: string; parameters?: Parameters }

/** A merge config: the same schema as mergekit's YAML (models = local checkpoint paths). */
export interface MergeConfig {
  merge_method: MethodName;
  models?: ModelEntry[];
  slices?: SliceDef[];
  base_model?: string;
  parameters?: Parameters;
  /** Compute dtype in mergekit; here it only sets the output dtype when out_dtype is absent. */
  dtype?: string;
  out_dtype?: string;
  tokenizer_source?: string;
  chat_template?: string;
}

const TOP_KEYS = ['merge_method', 'models', 'slices', 'base_model', 'parameters', 'dtype', 'out_dtype', 'tokenizer_source', 'chat_template', 'name'];

/** Nearest names within a small edit distance: " (did you mean x?)" or "". */
export function didYouMean(word: string, names: readonly string[]): string {
  const dist = (a: string, b: string): number => {
    let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const cur = [i];
      for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
    return prev[b.length];
  };
  const best = names.map((n) => ({ n, d: dist(word.toLowerCase(), n) })).sort((x, y) => x.d - y.d)[0];
  return best && best.d <= Math.max(2, Math.floor(word.length / 3)) ? ` (did you mean '${best.n}'?)` : '';
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isScalar = (v: unknown): v is Scalar => typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string';

function checkSetting(where: string, v: unknown): void {
  if (isScalar(v)) {
    if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`${where}: must be finite, got ${v}`);
    return;
  }
  const cond = (c: unknown, at: string) => {
    if (!isObj(c)) throw new Error(`${at}: expected a number, a list of numbers, or {value, filter} entries, got ${showValue(c)}`);
    const extra = Object.keys(c).filter((k) => k !== 'value' && k !== 'filter');
    if (extra.length) throw new Error(`${at}: unknown key '${displayName(extra[0])}' (expected value, filter)`);
    if (c.filter !== undefined && typeof c.filter !== 'string') throw new Error(`${at}.filter: must be a string`);
    if (c.value === undefined) throw new Error(`${at}: missing 'value'`);
    if (!isScalar(c.value) && !(Array.isArray(c.value) && c.value.every(isScalar))) throw new Error(`${at}.value: expected a scalar or a list of scalars`);
  };
  if (isObj(v)) return cond(v, where);
  if (!Array.isArray(v) || v.length === 0) throw new Error(`${where}: expected a number, a non-empty list, or {value, filter} entries, got ${showValue(v)}`);
  if (v.every(isScalar)) return;
  v.forEach((c, i) => cond(c, `${where}[${i}]`));
}

function checkParams(where: string, p: unknown, allowed: readonly string[], method: string): void {
  if (p === undefined || p === null) return;
  if (!isObj(p)) throw new Error(`${where}: must be a mapping of parameter names to values`);
  for (const [k, v] of Object.entries(p)) {
    if (!allowed.includes(k)) throw new Error(`${where}.${displayName(k)}: unknown parameter for ${method}${didYouMean(k, allowed)} (expected one of: ${allowed.join(', ') || 'none'})`);
    checkSetting(`${where}.${k}`, v);
  }
}

const str = (where: string, v: unknown): string => {
  if (typeof v !== 'string' || v === '') throw new Error(`${where}: expected a model path (string), got ${showValue(v)}`);
  // a path goes into messages (and file names) as it is: no line breaks or other control characters
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(v)) throw new Error(`${where}: model path ${showValue(v)} holds control characters`);
  return v;
};

/** Checks a parsed config object against the schema and the method's parameter names. */
export function checkConfig(raw: unknown, file = 'config'): MergeConfig {
  if (!isObj(raw)) throw new Error(`${file}: expected a mapping at the top level`);
  for (const k of Object.keys(raw)) if (!TOP_KEYS.includes(k)) throw new Error(`${file}: unknown key '${displayName(k)}'${didYouMean(k, TOP_KEYS)}`);
  if (raw.modules !== undefined) throw new Error(`${file}: modules: not supported (use models or slices)`);
  const mname = raw.merge_method;
  if (typeof mname !== 'string') throw new Error(`${file}: merge_method: required (one of ${[...METHODS.keys()].join(', ')})`);
  const method = METHODS.get(mname);
  if (!method) throw new Error(`${file}: merge_method: unknown method '${displayName(mname)}'${didYouMean(mname, [...METHODS.keys()])}`);
  const tensorNames = method.tensorParams.map((p) => p.name);
  const allNames = [...method.params.map((p) => p.name), ...tensorNames];
  checkParams(`${file}: parameters`, raw.parameters, allNames, mname);
  if ((raw.models === undefined) === (raw.slices === undefined)) throw new Error(`${file}: exactly one of 'models' or 'slices' must be present`);
  if (raw.base_model !== undefined) str(`${file}: base_model`, raw.base_model);
  for (const k of ['dtype', 'out_dtype'] as const) if (raw[k] !== undefined) outDType(raw[k], `${file}: ${k}`);
  if (raw.tokenizer_source !== undefined && raw.tokenizer_source !== 'base') {
    throw new Error(`${file}: tokenizer_source: only 'base' is supported (tokenizer files are copied from the base model), got ${showValue(raw.tokenizer_source)}`);
  }
  if (raw.models !== undefined) {
    if (!Array.isArray(raw.models) || raw.models.length === 0) throw new Error(`${file}: models: expected a non-empty list`);
    raw.models.forEach((m, i) => {
      const at = `${file}: models[${i}]`;
      if (typeof m === 'string') throw new Error(`${at}: expected {model: PATH, parameters: ...}, got a bare string`);
      if (!isObj(m)) throw new Error(`${at}: expected {model, parameters}`);
      for (const k of Object.keys(m)) if (k !== 'model' && k !== 'parameters') throw new Error(`${at}: unknown key '${displayName(k)}' (expected model, parameters)`);
      str(`${at}.model`, m.model);
      checkParams(`${at}.parameters`, m.parameters, tensorNames, mname);
    });
  } else {
    if (!Array.isArray(raw.slices) || raw.slices.length === 0) throw new Error(`${file}: slices: expected a non-empty list`);
    raw.slices.forEach((s, i) => {
      const at = `${file}: slices[${i}]`;
      if (!isObj(s) || !Array.isArray(s.sources) || s.sources.length === 0) throw new Error(`${at}: expected {sources: [...]}`);
      for (const k of Object.keys(s)) if (!['sources', 'base_model', 'parameters'].includes(k)) throw new Error(`${at}: unknown key '${displayName(k)}'`);
      if (s.base_model !== undefined) str(`${at}.base_model`, s.base_model);
      checkParams(`${at}.parameters`, s.parameters, allNames, mname);
      s.sources.forEach((src: unknown, j: number) => {
        const sat = `${at}.sources[${j}]`;
        if (!isObj(src)) throw new Error(`${sat}: expected {model, layer_range}`);
        for (const k of Object.keys(src)) if (!['model', 'layer_range', 'parameters'].includes(k)) throw new Error(`${sat}: unknown key '${displayName(k)}'`);
        str(`${sat}.model`, src.model);
        const r = src.layer_range;
        if (!Array.isArray(r) || r.length !== 2 || !r.every((x) => Number.isInteger(x) && x >= 0) || r[1] <= r[0]) {
          throw new Error(`${sat}.layer_range: expected [start, end) with 0 ≤ start < end, got ${showValue(r)}`);
        }
        checkParams(`${sat}.parameters`, src.parameters, tensorNames, mname);
      });
      const lens = s.sources.map((src: { layer_range: number[] }) => src.layer_range[1] - src.layer_range[0]);
      if (lens.some((l: number) => l !== lens[0])) throw new Error(`${at}: all sources must span the same number of layers, got ${lens.join(', ')}`);
    });
  }
  return raw as unknown as MergeConfig;
}

/** Parses mergekit YAML text (the `yaml` package) and checks it. Errors and warnings alike refuse
 *  the file in one line (a tag such as !!python/object is unresolved: refused, never ignored), and
 *  nothing is printed (the package's warnings would otherwise go to stderr). */
export function parseMergeConfig(text: string, file = 'config'): MergeConfig {
  const why = (m: string) => escapeText(m.split('\n')[0].slice(0, 200));
  let raw: unknown;
  try {
    const doc = parseDocument(text, { prettyErrors: false, logLevel: 'silent' });
    const tag = doc.warnings.find((w) => w.code === 'TAG_RESOLVE_FAILED');
    if (tag) throw new Error(`${file}: YAML tags are not allowed in a merge config (${why(tag.message)}); a config holds plain values only`);
    const bad = doc.errors[0] ?? doc.warnings[0];
    if (bad) throw new Error(`${file}: not valid YAML (${why(bad.message)})`);
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    const m = (e as Error).message;
    throw m.startsWith(`${file}: `) ? e : new Error(`${file}: not valid YAML (${why(m)})`);
  }
  return checkConfig(raw, file);
}

/** mergekit dtype names (and safetensors ones) → the stored float dtype. */
export function outDType(v: unknown, where: string): 'F32' | 'F16' | 'BF16' {
  const s = typeof v === 'string' ? v.toLowerCase() : '';
  if (['bfloat16', 'bf16'].includes(s)) return 'BF16';
  if (['float16', 'f16', 'half', 'fp16'].includes(s)) return 'F16';
  if (['float32', 'f32', 'float', 'fp32'].includes(s)) return 'F32';
  throw new Error(`${where}: expected bfloat16, float16 or float32, got ${showValue(v)}`);
}

/** mergekit evaluate_setting: scalars as is; number lists interpolated at t; other lists indexed
 *  at int(t·(n − 1)); conditional lists: the first whose filter is absent, '*', or a substring of
 *  the tensor name. undefined when no entry applies. */
export function evaluateSetting(setting: ParameterSetting, tensor: string, t: number): ParamValue | undefined {
  if (isScalar(setting)) return setting;
  if (isObj(setting)) return evaluateSetting([setting as ConditionalSetting], tensor, t);
  const list = setting as unknown[];
  if (list.every((e) => typeof e === 'number')) {
    const g = list as number[];
    const scaled = t * (g.length - 1);
    const i0 = Math.floor(scaled);
    const i1 = Math.min(g.length - 1, i0 + 1);
    const frac = scaled - i0;
    return (1 - frac) * g[i0] + frac * g[i1];
  }
  if (list.every(isScalar)) return list[Math.floor(t * (list.length - 1))] as Scalar;
  for (const c of list as ConditionalSetting[]) {
    if (c.filter === undefined || c.filter === '*' || (tensor !== '' && tensor.includes(c.filter))) return evaluateSetting(c.value, tensor, t);
  }
  return undefined;
}
