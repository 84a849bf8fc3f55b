// Backend wrappers for tests: one checks tensor ownership (every storage released exactly once, none
// left over; views (reshape) share their source's storage), one counts the calls made.
import type { Backend, DeviceTensor } from '../../src/backends/backend.js';
import { isDeviceTensor } from './case_kit.js';

export interface Tracked {
  be: Backend;
  /** Storages not released yet. */
  live(): number;
}

export function trackBackend(inner: Backend): Tracked {
  const storage = new WeakMap<DeviceTensor, number>();
  const live = new Set<number>();
  let next = 0;
  const own = (t: DeviceTensor): DeviceTensor => {
    storage.set(t, next);
    live.add(next++);
    return t;
  };
  const be = new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const fn = value as (...args: unknown[]) => unknown;
      switch (prop) {
        case 'upload':
          return (...args: unknown[]) => own(fn.apply(target, args) as DeviceTensor);
        case 'reshape':
          return (t: DeviceTensor, shape: readonly number[]) => {
            const view = fn.call(target, t, shape) as DeviceTensor;
            storage.set(view, storage.get(t)!);
            return view;
          };
        case 'release':
          return (t: DeviceTensor) => {
            const id = storage.get(t);
            if (id === undefined || !live.has(id)) throw new Error(`release of a tensor ${id === undefined ? 'never allocated' : 'already released'} [${t.shape.join(', ')}]`);
            live.delete(id);
            fn.call(target, t);
          };
        case 'read':
        case 'flush':
        case 'dispose':
        case 'supports':
          return fn.bind(target);
        default:  // ops: every tensor they return is a new allocation (host results pass through)
          return async (...args: unknown[]) => {
            const out = await fn.apply(target, args);
            if (Array.isArray(out)) out.filter(isDeviceTensor).forEach(own);
            else if (isDeviceTensor(out)) own(out);
            return out;
          };
      }
    },
  });
  return { be, live: () => live.size };
}

/** Wraps a backend and counts every call other than `name`, `supports` and `dispose`. */
export function counting(be: Backend): { backend: Backend; calls: string[] } {
  const calls: string[] = [];
  const backend = new Proxy(be, {
    get(target, prop, recv) {
      const v = Reflect.get(target, prop, recv);
      if (typeof v !== 'function' || prop === 'supports' || prop === 'dispose') return v;
      return (...args: unknown[]) => {
        calls.push(String(prop));
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { backend, calls };
}
