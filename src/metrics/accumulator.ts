// Streaming accumulators that a sharded sweep can save and combine: each has a `kind`, a JSON state
// (`toState`), a constructor from that state (registered here under its kind) and an exact `merge`
// of the state of another shard of samples (plain sums add; means and variances by Chan et al.).
// A new accumulator type joins sharding by implementing `Mergeable` and calling
// `registerAccumulator` once in its own module; sweep/partial.ts finds it by `kind`.

export interface Mergeable {
  /** Names the state's format in a partial (e.g. 'similarity'). */
  readonly kind: string;
  /** A JSON-ready copy of the state (finite numbers, arrays, plain objects). */
  toState(): unknown;
  /** Adds the samples of `other` (same kind) to this accumulator, as if they had followed its own. */
  merge(other: Mergeable): void;
}

type FromState = (state: unknown, where: string) => Mergeable;

const registry = new Map<string, FromState>();

/** Registers the constructor of `kind` from its state; one registration per kind. */
export function registerAccumulator(kind: string, fromState: FromState): void {
  if (registry.has(kind)) throw new Error(`accumulator kind '${kind}' is registered twice`);
  registry.set(kind, fromState);
}

/** An accumulator rebuilt from `state`; `where` names the file and place for errors. */
export function accumulatorFromState(kind: string, state: unknown, where: string): Mergeable {
  const make = registry.get(kind);
  if (!make) throw new Error(`${where}: unknown accumulator kind '${kind}' (known: ${[...registry.keys()].join(', ')})`);
  return make(state, where);
}

export function isMergeable(v: unknown): v is Mergeable {
  return typeof v === 'object' && v !== null && typeof (v as Mergeable).kind === 'string'
    && typeof (v as Mergeable).toState === 'function' && typeof (v as Mergeable).merge === 'function';
}

/** `other` as the same kind as `self`, else an error naming both kinds. */
export function sameKind<T extends Mergeable>(self: T, other: Mergeable): T {
  if (other.kind !== self.kind || other.constructor !== self.constructor) {
    throw new Error(`cannot merge a '${other.kind}' accumulator into a '${self.kind}' one`);
  }
  return other as T;
}

/** Reads the named fields of a state object as finite numbers (`counts`: non-negative integers). */
export function stateNumbers<K extends string>(state: unknown, fields: readonly K[], where: string, counts: readonly K[] = []): Record<K, number> {
  if (typeof state !== 'object' || state === null || Array.isArray(state)) throw new Error(`${where}: expected an object state, got ${JSON.stringify(state)}`);
  const out = {} as Record<K, number>;
  for (const f of fields) {
    const v = (state as Record<string, unknown>)[f];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${where}: state field '${f}' is ${JSON.stringify(v)}, expected a finite number`);
    if (counts.includes(f) && (!Number.isInteger(v) || v < 0)) throw new Error(`${where}: state field '${f}' is ${v}, expected a count (integer ≥ 0)`);
    out[f] = v;
  }
  return out;
}
