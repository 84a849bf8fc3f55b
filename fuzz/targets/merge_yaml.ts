// `ctlkit merge --config merge.yml --out DIR`: the YAML parsed and checked against mergekit's schema,
// the models opened (four tiny fixture checkpoints, BF16/F32, 3 layers), the plan built from their
// headers, every tensor merged and the HF folder written, as the CLI does (backend auto). The config
// is written to merge.yml beside the models, so its relative model paths resolve to them.
import fs from 'node:fs';
import path from 'node:path';
import { merge } from '../../src/merge/run.js';
import { ROOT, scratch } from './common.js';

const base = scratch('merge_yaml');
for (const m of ['a', 'b', 'c', 'base']) fs.cpSync(path.join(ROOT, 'test/fixtures/merge', m), path.join(base, m), { recursive: true });
const config = path.join(base, 'merge.yml');
const out = path.join(base, 'out');

export async function fuzz(data: Buffer): Promise<void> {
  fs.writeFileSync(config, data);
  fs.rmSync(out, { recursive: true, force: true });
  try {
    await merge(fs.readFileSync(config, 'utf8'), { out, baseDir: base, configName: config, backend: 'auto', shardSize: 2048 });
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

export function seeds(): Buffer[] {
  const dir = path.join(ROOT, 'test/fixtures/merge');
  return [
    ...fs.readdirSync(dir).filter((f) => f.endsWith('.yml')).sort().map((f) => fs.readFileSync(path.join(dir, f))),
    Buffer.from('merge_method: linear\nmodels:\n  - &m {model: a, parameters: {weight: 0.5}}\n  - {<<: *m, model: b}\ndtype: float16\n'),
    Buffer.from('merge_method: task_arithmetic\nbase_model: base\nout_dtype: bfloat16\nparameters: {normalize: true}\nslices:\n  - sources:\n      - {model: a, layer_range: [0, 3], parameters: {weight: [0, 1]}}\n      - {model: base, layer_range: [0, 3]}\n'),
  ];
}

export const dictionary = [
  'merge_method:', 'models:', 'model:', 'parameters:', 'weight:', 'density:', 'base_model:', 'slices:', 'sources:', 'layer_range:', 'dtype:',
  'out_dtype:', 'tokenizer_source:', 'filter:', 'value:', 't:', 'normalize:', 'int8_mask:', 'lambda:', 'epsilon:', 'gamma:', 'select_topk:',
  'max_iter:', 'tol:', 'scale:', 'rescale:', 'similarity_threshold:', 'nuslerp_flatten:', 'nuslerp_row_wise:', 'weight_clamp:',
  'linear', 'slerp', 'ties', 'dare_ties', 'dare_linear', 'task_arithmetic', 'model_stock', 'passthrough', 'breadcrumbs', 'breadcrumbs_ties',
  'della', 'della_linear', 'sce', 'karcher', 'multislerp', 'nuslerp', 'nearswap',
  'a', 'b', 'c', 'base', '../', '/dev/null', 'self_attn', 'mlp', 'bfloat16', 'float16', 'float32', 'true', 'false', 'null', '~', '.nan', '.inf', '-.inf',
  '&a ', '*a', '<<: *a', '!!python/object:os.system', '!!python/name:os.system', '!!binary', '!!str', '!!int', '!!float', '? ', '- ', ': ', '{', '}', '[', ']', ',', '\n', '\n  ', '#', '"', "'", '|', '>', '---\n', '...\n', '%YAML 1.1\n',
];
export const maxLen = 4096;
