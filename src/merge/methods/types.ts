// What a merge method is: mergekit's parameter lists (names, defaults) and one tensor's math.
// Every method works on float32 inputs and returns float64 results (rounded once when written).

export type ParamValue = number | boolean | string;

export interface ParamDef {
  name: string;
  kind: 'number' | 'bool' | 'string';
  /** Absent and not required: the parameter is simply unset (e.g. passthrough's scale). */
  default?: ParamValue;
  required?: boolean;
  /** Allowed values of a string parameter. */
  choices?: readonly string[];
}

/** One input model's tensor and its evaluated per-model parameters. */
export interface MethodInput {
  data: Float32Array;
  params: Record<string, ParamValue>;
  /** Position of the model in the config's `models` list (keys the random streams). */
  index: number;
}

export interface TensorJob {
  name: string;
  shape: readonly number[];
  /** The base model's tensor, for methods with a base. */
  base?: Float32Array;
  /** The models the method combines (see MergeMethod.inputs for which ones). */
  inputs: MethodInput[];
  global: Record<string, ParamValue>;
  seed: number;
}

export interface MergeMethod {
  name: string;
  /** Whether base_model must be given, may be given, or is not used. */
  base: 'required' | 'optional' | 'unused';
  /** Which models are `inputs`: `listed` = the models list as given (base included if listed);
   *  `others` = the models list without the base; `all` = the models list plus the base if unlisted. */
  inputs: 'listed' | 'others' | 'all';
  minInputs: number;
  maxInputs?: number;
  params: ParamDef[];
  tensorParams: ParamDef[];
  /** Uses the seeded counter-based random streams. */
  random?: boolean;
  merge(job: TensorJob): Float64Array;
  /** Reference for the math (mergekit file and function). */
  source: string;
}

export const num = (v: ParamValue | undefined, what: string): number => {
  if (typeof v !== 'number') throw new Error(`${what}: expected a number, got ${JSON.stringify(v)}`);
  return v;
};
