// MLP: a torch nn.Sequential of Linear and ReLU modules (Linear at positions 0, 2, 4, …, a ReLU after
// every Linear but the last). Input [N, D]. Hooks: each ReLU's output and the last Linear (logits).
import type { Model, ModelConfig, Stage } from './family.js';
import { linearParams, type ParamTable } from './params.js';
import { chain, makeStage, optionalParam } from './stage.js';
import { fill, indicesOf } from './naming/template.js';
import { TORCH_PARAMS, type MlpNaming } from './naming/types.js';

export function buildMlp(t: ParamTable, config: Partial<ModelConfig>, naming: MlpNaming): Model {
  const weightTpl = fill(TORCH_PARAMS.weight, { m: naming.module });
  const positions = indicesOf(weightTpl, t.tensors.keys());
  if (positions.length === 0 || positions[0] !== 0) {
    throw t.error(`missing tensor '${fill(weightTpl, { i: 0 })}' (first Linear of the ${naming.convention})`);
  }
  positions.forEach((pos, k) => {
    if (pos !== 2 * k) {
      throw t.error(
        `Linear modules at positions ${positions.join(', ')}: expected Linear and ReLU alternating (0, 2, 4, …), ` +
          `found position ${pos} where ${2 * k} was expected`,
      );
    }
  });
  const inputDim = t.shape(fill(weightTpl, { i: 0 }), 2, 'weight of the first Linear')[1];
  const stages: Stage[] = [];
  let features = inputDim;
  let prev = 'the input';
  positions.forEach((pos, k) => {
    const module = fill(naming.module, { i: pos });
    const lin = linearParams(t, module, features, `from ${prev}`, 'outIn');
    const last = k === positions.length - 1;
    const name = last ? module : fill(naming.module, { i: pos + 1 });
    stages.push(
      makeStage(name, true, lin.params, (be, x, p) =>
        chain(be, x, [
          (v) => be.linear(v, p.weight(lin.weight), optionalParam(p, lin.bias), 'outIn'),
          ...(last ? [] : [(v: typeof x) => be.relu(v)]),
        ]),
      ),
    );
    features = lin.outFeatures;
    prev = `${name}'s output`;
  });
  const hooks = stages.map((s) => s.name);
  return {
    config: { ...config, architecture: 'mlp' },
    stages,
    hooks,
    logitsHook: hooks[hooks.length - 1],
    classes: features,
    input: { kind: 'float', shape: [-1, inputDim] },
  };
}
