// The allow-list: the only calls a torch checkpoint pickle may make, and what each becomes here.
// Tensor rebuilders give TensorRefs; containers give PyDict / PySet / arrays; a few harmless
// constructors real checkpoints contain (torchvision's InterpolationMode enum, functools.partial,
// numpy scalars) give inert records. Any other call refuses the whole file, naming the global.
import type { UnpickleHooks } from './unpickler.js';
import { PyDict, PyGlobal, PyObject, PySet, STORAGE_TYPES, describe, isTensorRef, type StorageRef, type TensorRef } from './values.js';
import { displayName, quoteName } from '../../util/escape.js';

/** The error for a pickle that tries to call something off the allow-list: a plain Error (a ctlkit
 *  error, one line naming the file), as every other rejection of a file is. */
const PickleRefused = Error;

type Call = (args: unknown[], at: string) => unknown;

const toDict = (args: unknown[]): PyDict => {
  const d = new PyDict();
  const items = args[0];
  if (Array.isArray(items)) for (const kv of items) if (Array.isArray(kv) && kv.length === 2) d.map.set(kv[0], kv[1]);
  return d;
};
const toSet = (args: unknown[]): PySet => new PySet(Array.isArray(args[0]) ? [...(args[0] as unknown[])] : args[0] instanceof PySet ? [...args[0].items] : []);

function intList(v: unknown, at: string, what: string): number[] {
  if (!Array.isArray(v) || !v.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    throw new Error(`${at}: tensor ${what} must be non-negative integers, got ${Array.isArray(v) ? `[${v.map(describe).join(', ')}]` : describe(v)}`);
  }
  return v as number[];
}

function rebuildTensor(args: unknown[], at: string): TensorRef {
  const [storage, offset, size, stride] = args;
  if (typeof storage !== 'object' || storage === null || !('typeName' in storage)) throw new Error(`${at}: _rebuild_tensor_v2 without a storage (got ${describe(storage)})`);
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) throw new Error(`${at}: tensor storage offset ${describe(offset)} is not a non-negative integer`);
  const shape = intList(size, at, 'sizes');
  const strides = intList(stride, at, 'strides');
  if (strides.length !== shape.length) throw new Error(`${at}: tensor has ${shape.length} sizes but ${strides.length} strides`);
  return { kind: 'tensor', storage: storage as StorageRef, offset, shape: [...shape], stride: [...strides] };
}

function parameter(args: unknown[], at: string): unknown {
  if (!isTensorRef(args[0])) throw new Error(`${at}: _rebuild_parameter of ${describe(args[0])}, not a tensor`);
  return args[0];
}

const inert = (g: PyGlobal): Call => (args) => new PyObject(g, args);

/** Enum classes whose members may be fetched: Python ≥ 3.11 pickles a member as getattr(cls, name). */
const ENUMS = new Set(['torchvision.transforms.functional.InterpolationMode', 'torchvision.transforms.InterpolationMode']);

function enumMember(args: unknown[], at: string): unknown {
  const [cls, name] = args;
  if (args.length !== 2 || !(cls instanceof PyGlobal) || !ENUMS.has(cls.full) || typeof name !== 'string') {
    throw new PickleRefused(`${at}: refused: the pickle calls builtins.getattr, which is not on the allow-list of tensor-checkpoint calls (here on ${describe(cls)}; only enum members such as InterpolationMode.BICUBIC may be fetched; nothing was run here)`);
  }
  return new PyObject(cls, [name]);
}

/** Protocol 0-2 bytes: _codecs.encode(text, 'latin1'), one byte per code point below 256. */
function latin1Bytes(args: unknown[], at: string): Uint8Array {
  const [text, codec] = args;
  if (typeof text !== 'string' || (codec !== 'latin1' && codec !== 'latin-1') || /[^\u0000-\u00ff]/.test(text)) {
    throw new PickleRefused(`${at}: refused: the pickle calls _codecs.encode other than (str, 'latin1') (the form pickle uses for bytes)`);
  }
  return Uint8Array.from(text, (ch) => ch.charCodeAt(0));
}

/** module.name → what calling it does here. */
const CALLS: Record<string, Call | 'inert'> = {
  'torch._utils._rebuild_tensor_v2': rebuildTensor,
  'torch._utils._rebuild_tensor': rebuildTensor,
  'torch._utils._rebuild_parameter': parameter,
  'torch._utils._rebuild_parameter_with_state': parameter,
  'collections.OrderedDict': toDict,
  'builtins.dict': toDict,
  'collections.defaultdict': () => new PyDict(),
  'builtins.set': toSet,
  'builtins.frozenset': toSet,
  'builtins.getattr': enumMember,
  'builtins.list': (args) => (Array.isArray(args[0]) ? [...(args[0] as unknown[])] : []),
  'builtins.tuple': (args) => (Array.isArray(args[0]) ? [...(args[0] as unknown[])] : []),
  '_codecs.encode': latin1Bytes,
  'builtins.bytes': (args) => (Array.isArray(args[0]) ? Uint8Array.from(args[0] as number[]) : new Uint8Array(0)),
  'builtins.bytearray': (args) => (Array.isArray(args[0]) ? Uint8Array.from(args[0] as number[]) : new Uint8Array(0)),
  'torch.Size': (args) => (Array.isArray(args[0]) ? [...(args[0] as unknown[])] : []),
  'torch.device': 'inert',
  'copyreg._reconstructor': (args) => new PyObject(args[0], []),
  'copyreg.__newobj__': (args) => new PyObject(args[0], args.slice(1)),
  'torchvision.transforms.functional.InterpolationMode': 'inert',
  'torchvision.transforms.InterpolationMode': 'inert',
  'functools.partial': 'inert',
  'numpy.core.multiarray.scalar': 'inert',
  'numpy.core.multiarray._reconstruct': 'inert',
  'numpy.dtype': 'inert',
  'pathlib.PosixPath': 'inert',
  'pathlib.WindowsPath': 'inert',
};

/**
 * Hooks for a torch.save pickle. `storages` collects every storage the pickle names (by key);
 * the same key always gives the same StorageRef, so tensors sharing storage share it here too.
 */
export function torchHooks(file: string, storages: Map<string, StorageRef>): UnpickleHooks {
  const at = `${file}`;
  return {
    persistentLoad(pid: unknown): unknown {
      if (!Array.isArray(pid) || pid.length < 1) throw new Error(`${at}: unexpected persistent id ${describe(pid)}`);
      if (pid[0] === 'module') return pid[1]; // legacy format: ('module', class, source file, source)
      if (pid[0] !== 'storage' || pid.length < 5) throw new Error(`${at}: unexpected persistent id ${describe(pid[0])}`);
      const [, type, key, , numel] = pid;
      if (!(type instanceof PyGlobal) || type.module !== 'torch') throw new Error(`${at}: storage of type ${describe(type)}, expected a torch.*Storage`);
      const info = STORAGE_TYPES[type.name];
      if (!info) throw new Error(`${at}: storage type torch.${displayName(type.name)} is unknown`);
      if (typeof key !== 'string') throw new Error(`${at}: storage key ${describe(key)} is not a string`);
      if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) throw new Error(`${at}: storage ${quoteName(key)} has size ${describe(numel)}`);
      if (pid.length > 5 && pid[5] !== null) throw new Error(`${at}: storage ${quoteName(key)} is a view into another storage (pre-1.0 torch.save), not supported`);
      const known = storages.get(key);
      if (known) {
        if (known.typeName !== type.name) throw new Error(`${at}: storage ${quoteName(key)} is used as both ${displayName(known.typeName)} and ${displayName(type.name)}`);
        return known;
      }
      const ref: StorageRef = { key, typeName: type.name, dtype: info.dtype, elementSize: info.size, numel };
      storages.set(key, ref);
      return ref;
    },
    call(fn: unknown, args: unknown[], kwargs?: PyDict): unknown {
      if (fn instanceof PyGlobal && fn.full === 'torch._tensor._rebuild_from_type_v2') {
        // A tensor subclass: (func, subclass, args, state). func must itself be allowed; the subclass
        // and its state are not applied (Python would run the subclass's __setstate__).
        const [inner, , innerArgs] = args;
        const t = this.call(inner, Array.isArray(innerArgs) ? innerArgs : []);
        if (!isTensorRef(t)) throw new Error(`${at}: _rebuild_from_type_v2 of ${describe(inner)} gave ${describe(t)}, not a tensor`);
        return t;
      }
      if (!(fn instanceof PyGlobal)) throw new PickleRefused(`${at}: refused: the pickle calls ${describe(fn)}, which is not a global on the allow-list (nothing was run)`);
      const how = Object.prototype.hasOwnProperty.call(CALLS, fn.full) ? CALLS[fn.full] : undefined;
      if (how === undefined) {
        throw new PickleRefused(`${at}: refused: the pickle calls ${displayName(fn.full)}, which is not on the allow-list of tensor-checkpoint calls (loading it in Python would run it; nothing was run here)`);
      }
      if (kwargs && kwargs.map.size && how !== 'inert') throw new PickleRefused(`${at}: refused: the pickle calls ${displayName(fn.full)} with keyword arguments`);
      return how === 'inert' ? inert(fn)(args, at) : how(args, at);
    },
    construct(cls: unknown, args: unknown[]): unknown {
      // cls.__new__(cls, *args) of an unknown class: an inert record; OrderedDict/set subclasses keep their kind.
      if (cls instanceof PyGlobal && (cls.full === 'collections.OrderedDict' || cls.full === 'builtins.dict')) return new PyDict();
      if (cls instanceof PyGlobal && (cls.full === 'builtins.set' || cls.full === 'builtins.frozenset')) return new PySet();
      return new PyObject(cls, args);
    },
  };
}
