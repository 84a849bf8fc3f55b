// The registry of merge methods, by mergekit's names.
import type { MergeMethod } from './types.js';
import { linear } from './linear.js';
import { taskArithmetic } from './task_arithmetic.js';
import { ties } from './ties.js';
import { dareLinear, dareTies } from './dare.js';
import { breadcrumbs, breadcrumbsTies } from './breadcrumbs.js';
import { della, dellaLinear } from './della.js';
import { slerp } from './slerp.js';
import { nuslerp } from './nuslerp.js';
import { modelStock } from './model_stock.js';
import { karcher } from './karcher.js';
import { multislerp } from './multislerp.js';
import { sce } from './sce.js';
import { nearswap } from './nearswap.js';
import { passthrough } from './passthrough.js';

export const METHODS: ReadonlyMap<string, MergeMethod> = new Map(
  [linear, taskArithmetic, ties, dareLinear, dareTies, breadcrumbs, breadcrumbsTies, della, dellaLinear,
    slerp, nuslerp, modelStock, karcher, multislerp, sce, nearswap, passthrough].map((m) => [m.name, m]),
);

export type MethodName = 'linear' | 'task_arithmetic' | 'ties' | 'dare_linear' | 'dare_ties' | 'breadcrumbs' |
  'breadcrumbs_ties' | 'della' | 'della_linear' | 'slerp' | 'nuslerp' | 'model_stock' | 'karcher' |
  'multislerp' | 'sce' | 'nearswap' | 'passthrough';

export type { MergeMethod, ParamDef, ParamValue, TensorJob, MethodInput } from './types.js';
