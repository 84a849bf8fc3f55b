// From an unpickled object to the flat name → tensor map state_dict() would give:
//  - a dict of tensors (torch.save(model.state_dict())) as it is;
//  - a pickled nn.Module (an inert record) walked through _parameters, _buffers (minus
//    _non_persistent_buffers_set) and _modules, names joined with "." as Module.state_dict does;
//  - a training checkpoint ({"state_dict": …}, {"model": …}, Lightning's, an optimizer beside):
//    the one tensor set inside it, or the one `key` names.
// A leading "module." (DataParallel) is stripped, and Lightning's attribute prefix ("model.").
import { PyDict, PyObject, PySet, describe, isTensorRef, type TensorRef } from './values.js';
import { quoteName } from '../../util/escape.js';

export interface Selected {
  tensors: Map<string, TensorRef>;
  /** The path of the chosen set inside the file ("" for the whole object). */
  key: string;
  /** A prefix removed from every name, or "". */
  stripped: string;
}

/** Preferred keys when a checkpoint holds several tensor sets (timm, torchvision and Lightning conventions). */
const PREFERRED = ['state_dict', 'model_state_dict', 'model', 'module', 'net', 'network'];
const MAX_DEPTH = 3;

function isModule(v: unknown): v is PyObject {
  return v instanceof PyObject && v.state instanceof PyDict && v.state.get('_parameters') instanceof PyDict && v.state.get('_modules') instanceof PyDict;
}

function isTensorDict(v: unknown): v is PyDict {
  if (!(v instanceof PyDict) || v.map.size === 0) return false;
  for (const [k, t] of v.map) if (typeof k !== 'string' || !isTensorRef(t)) return false;
  return true;
}

const holdsTensors = (v: unknown): boolean => isTensorDict(v) || isModule(v);

/** Every tensor of a module tree, named as state_dict() names them. */
function walkModule(file: string, m: PyObject, prefix: string, out: Map<string, TensorRef>, path: Set<PyObject>): void {
  if (path.has(m)) throw new Error(`${file}: module ${quoteName(prefix.slice(0, -1))} contains itself`);
  if (path.size > 1000) throw new Error(`${file}: module tree deeper than 1000 levels`);
  path.add(m);
  const state = m.state as PyDict;
  const nonPersistent = state.get('_non_persistent_buffers_set');
  const skip = new Set(nonPersistent instanceof PySet ? nonPersistent.items : []);
  const take = (dict: unknown, what: string, isBuffer: boolean): void => {
    if (dict === undefined) return;
    if (!(dict instanceof PyDict)) throw new Error(`${file}: module ${quoteName(prefix.slice(0, -1))} has ${what} = ${describe(dict)}, expected a dict`);
    for (const [name, t] of dict.map) {
      if (t === null || (isBuffer && skip.has(name))) continue;
      if (!isTensorRef(t)) throw new Error(`${file}: ${what}[${quoteName(String(name))}] of module ${quoteName(prefix.slice(0, -1))} is ${describe(t)}, not a tensor`);
      out.set(`${prefix}${String(name)}`, t);
    }
  };
  take(state.get('_parameters'), '_parameters', false);
  take(state.get('_buffers'), '_buffers', true);
  for (const [name, child] of (state.get('_modules') as PyDict).map) {
    if (child === null) continue;
    if (!isModule(child)) throw new Error(`${file}: submodule "${prefix}${String(name)}" is ${describe(child)}, not a module`);
    walkModule(file, child, `${prefix}${String(name)}.`, out, path);
  }
  path.delete(m);
}

function flatten(file: string, v: unknown): Map<string, TensorRef> {
  const out = new Map<string, TensorRef>();
  if (isModule(v)) walkModule(file, v, '', out, new Set());
  else for (const [k, t] of (v as PyDict).map) out.set(k as string, t as TensorRef);
  return out;
}

/** Paths (joined with "/") of every tensor set inside dicts, up to MAX_DEPTH levels down. */
function candidates(v: unknown, path: string[], out: { path: string[]; value: unknown }[]): void {
  if (holdsTensors(v)) {
    out.push({ path, value: v });
    return;
  }
  if (!(v instanceof PyDict) || path.length >= MAX_DEPTH) return;
  for (const [k, child] of v.map) if (typeof k === 'string' && !/optimi[sz]er/i.test(k)) candidates(child, [...path, k], out);
}

function byKey(file: string, root: unknown, key: string): unknown {
  if (root instanceof PyDict && root.map.has(key)) return root.map.get(key);
  let v = root;
  for (const part of key.split('/')) {
    if (!(v instanceof PyDict) || !v.map.has(part)) {
      const keys = v instanceof PyDict ? [...v.map.keys()].filter((k) => typeof k === 'string').map((k) => `${quoteName(k as string)}`) : [];
      throw new Error(`${file}: --key ${quoteName(key)}: no entry ${quoteName(part)}${keys.length ? ` (keys: ${keys.slice(0, 12).join(', ')})` : ` (the object is ${describe(v)})`}`);
    }
    v = v.map.get(part);
  }
  return v;
}

/** The tensors a checkpoint holds, chosen and named as described at the top of this file. */
export function selectTensors(file: string, root: unknown, key?: string): Selected {
  let chosen: { path: string[]; value: unknown };
  if (key !== undefined) {
    const value = byKey(file, root, key);
    if (!holdsTensors(value)) throw new Error(`${file}: --key ${quoteName(key)} is ${describe(value)}, not a dict of tensors or a module`);
    chosen = { path: [key], value };
  } else {
    const found: { path: string[]; value: unknown }[] = [];
    candidates(root, [], found);
    if (found.length === 0) throw new Error(`${file}: holds no tensors (the pickle is ${describe(root)}; a state dict, a module or {"state_dict": …} was expected)`);
    if (found.length === 1) chosen = found[0];
    else {
      const preferred = found.filter((c) => c.path.length === 1 && PREFERRED.includes(c.path[0]));
      preferred.sort((a, b) => PREFERRED.indexOf(a.path[0]) - PREFERRED.indexOf(b.path[0]));
      if (!preferred.length) {
        throw new Error(`${file}: holds several tensor sets (${found.map((c) => `${quoteName(c.path.join('/'))}`).join(', ')}); pick one with --key`);
      }
      chosen = preferred[0];
    }
  }
  let tensors = flatten(file, chosen.value);
  let stripped = '';
  const lightning = root instanceof PyDict && root.map.has('pytorch-lightning_version');
  for (const prefix of lightning ? ['module.', 'model.'] : ['module.']) {
    const names = [...tensors.keys()];
    if (names.length && names.every((n) => n.startsWith(prefix) && n.length > prefix.length)) {
      tensors = new Map([...tensors].map(([n, t]) => [n.slice(prefix.length), t]));
      stripped += prefix;
    }
  }
  // Names become JSON object keys downstream; "__proto__" would be swallowed by the object's prototype.
  if (tensors.has('__proto__')) throw new Error(`${file}: a tensor named "__proto__" is not supported`);
  return { tensors, key: chosen.path.join('/'), stripped };
}
