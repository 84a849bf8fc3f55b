// ctlkit features: run a model on inputs and write each captured hook's output (float32, named by
// the hook) to a safetensors file, atomically, streaming: each hook is written as soon as it exists.
import type { Command } from 'commander';
import { createBackend, type BackendChoice } from '../backends/index.js';
import { readInputs } from '../io/inputs.js';
import { SafetensorsWriter } from '../io/writer.js';
import type { Checkpoint, TensorInfo } from '../io/types.js';
import type { Backend } from '../backends/backend.js';
import type { Model } from '../models/family.js';
import { forward, resolveCapture } from '../models/forward.js';
import { openModel } from '../models/open.js';
import { checkStrictLoading } from '../models/params.js';
import { validateInput } from '../models/input.js';
import { numel, shapeStr, type Tensor } from '../tensor.js';
import { formatTable } from '../report/format.js';
import { parseList } from './util.js';

interface FeaturesOptions {
  model: string;
  inputs: string;
  inputKey: string;
  config?: string;
  head?: string;
  layers?: string;
  backend: BackendChoice;
  out: string;
  allowExtra?: boolean;
  allowMissing?: boolean;
}

const BACKENDS: readonly BackendChoice[] = ['reference', 'native', 'webgpu', 'auto'];

export async function runFeatures(opts: FeaturesOptions): Promise<void> {
  if (!BACKENDS.includes(opts.backend)) throw new Error(`--backend: unknown backend '${opts.backend}' (expected ${BACKENDS.join(', ')})`);
  const { checkpoint, model } = await openModel(opts.model, { config: opts.config, head: opts.head });
  try {
    checkStrictLoading(model, checkpoint.tensors, checkpoint.path, { allowExtra: opts.allowExtra, allowMissing: opts.allowMissing });
    const capture = opts.layers === undefined ? undefined : parseList(opts.layers, '--layers');
    resolveCapture(model, capture);
    const { inputs } = await readInputs(opts.inputs, { key: opts.inputKey });
    const inputName = opts.inputs.toLowerCase().endsWith('.npy') ? opts.inputs : `${opts.inputs}:${opts.inputKey}`;
    validateInput(model, inputs, inputName);
    const be = await createBackend(opts.backend);
    try {
      // Hooks are written as they are produced (one alive at a time); the writer needs every shape
      // up front, which a one-sample pass gives.
      const infos = await hookInfos(be, model, checkpoint, inputs, capture);
      const writer = await SafetensorsWriter.create(opts.out, infos);
      try {
        await forward(be, model, checkpoint, inputs, {
          capture,
          inputName,
          onFeature: async (hook, t) => {
            const data = await be.read(t);
            if (!(data instanceof Float32Array)) throw new Error(`hook ${hook}: the ${be.name} backend returned ${t.dtype} data, expected float32`);
            await writer.write(hook, { dtype: 'float32', shape: [...t.shape], data });
          },
        });
        await writer.commit();
      } finally {
        await writer.abort(); // no-op once committed
      }
      const rows = infos.map((i) => [i.name, shapeStr(i.shape)]);
      console.log(`${model.config.architecture} on ${be.name}: wrote ${infos.length} features to ${opts.out}\n${formatTable(['hook', 'shape'], rows)}`);
    } finally {
      await be.dispose();
    }
  } finally {
    await checkpoint.close();
  }
}

/** Name, dtype and shape of each captured hook's output: a one-sample pass, dim 0 set to N. */
async function hookInfos(be: Backend, model: Model, checkpoint: Checkpoint, inputs: Tensor, capture: string[] | undefined): Promise<TensorInfo[]> {
  const perSample = numel(inputs.shape.slice(1));
  const first = { ...inputs, shape: [1, ...inputs.shape.slice(1)], data: inputs.data.subarray(0, perSample) } as Tensor;
  const one = await forward(be, model, checkpoint, first, { capture });
  return [...one].map(([name, t]) => ({ name, dtype: 'F32' as const, shape: [inputs.shape[0], ...t.shape.slice(1)] }));
}

export function register(program: Command): void {
  program
    .command('features')
    .description('run a model on inputs and save the outputs of its hooks (one float32 tensor per hook)')
    .requiredOption('--model <checkpoint>', 'a .safetensors file, *.safetensors.index.json, or folder')
    .requiredOption('--inputs <file>', 'inputs: a .safetensors file (tensor --input-key) or a .npy file')
    .option('--input-key <key>', 'tensor name of the inputs in a safetensors file', 'inputs')
    .option('--config <file>', 'model config.json (default: config.json beside the checkpoint)')
    .option('--head <file>', 'zero-shot head (task_vectors): weight [classes, embed], optional bias; adds the hook logits')
    .option('--layers <hooks>', 'comma-separated hooks to capture (default: all; see ctlkit inspect)')
    .option('--backend <name>', 'reference | native | webgpu | auto', 'auto')
    .requiredOption('--out <file>', 'output .safetensors file')
    .option('--allow-extra', 'run on a checkpoint holding tensors the model does not read (default: refuse, like PyTorch strict loading)')
    .option('--allow-missing', 'run on a checkpoint lacking biases its modules have by default, as if bias-free (default: refuse)')
    .addHelpText('after', '\nExample:\n  ctlkit features --model runs/ft_a/model.safetensors --inputs data/val.safetensors --layers layer1.0,fc --out feats.safetensors')
    .action((opts: FeaturesOptions) => runFeatures(opts));
}
