// ctlkit features: run a model on inputs and write each captured hook's output (float32, named by
// the hook) to a safetensors file, atomically.
import type { Command } from 'commander';
import { createBackend, type BackendChoice } from '../backends/index.js';
import { readInputs } from '../io/inputs.js';
import { writeSafetensors } from '../io/writer.js';
import { forward, resolveCapture } from '../models/forward.js';
import { openModel } from '../models/open.js';
import { validateInput } from '../models/input.js';
import { shapeStr } from '../tensor.js';
import { formatTable, parseList } from './util.js';

interface FeaturesOptions {
  model: string;
  inputs: string;
  inputKey: string;
  config?: string;
  layers?: string;
  backend: BackendChoice;
  out: string;
}

const BACKENDS: readonly BackendChoice[] = ['reference', 'native', 'webgpu', 'auto'];

export async function runFeatures(opts: FeaturesOptions): Promise<void> {
  if (!BACKENDS.includes(opts.backend)) throw new Error(`--backend: unknown backend '${opts.backend}' (expected ${BACKENDS.join(', ')})`);
  const { checkpoint, model } = await openModel(opts.model, { config: opts.config });
  try {
    const capture = opts.layers === undefined ? undefined : parseList(opts.layers, '--layers');
    resolveCapture(model, capture);
    const { inputs } = await readInputs(opts.inputs, { key: opts.inputKey });
    const inputName = opts.inputs.toLowerCase().endsWith('.npy') ? opts.inputs : `${opts.inputs}:${opts.inputKey}`;
    validateInput(model, inputs, inputName);
    const be = await createBackend(opts.backend);
    try {
      const features = await forward(be, model, checkpoint, inputs, { capture, inputName });
      await writeSafetensors(opts.out, features);
      const rows = [...features].map(([hook, t]) => [hook, shapeStr(t.shape)]);
      console.log(`${model.config.architecture} on ${be.name}: wrote ${features.size} features to ${opts.out}\n${formatTable(['hook', 'shape'], rows)}`);
    } finally {
      await be.dispose();
    }
  } finally {
    await checkpoint.close();
  }
}

export function register(program: Command): void {
  program
    .command('features')
    .description('run a model on inputs and save the outputs of its hooks (one float32 tensor per hook)')
    .requiredOption('--model <checkpoint>', 'a .safetensors file, *.safetensors.index.json, or folder')
    .requiredOption('--inputs <file>', 'inputs: a .safetensors file (tensor --input-key) or a .npy file')
    .option('--input-key <key>', 'tensor name of the inputs in a safetensors file', 'inputs')
    .option('--config <file>', 'model config.json (default: config.json beside the checkpoint)')
    .option('--layers <hooks>', 'comma-separated hooks to capture (default: all; see ctlkit inspect)')
    .option('--backend <name>', 'reference | native | webgpu | auto', 'auto')
    .requiredOption('--out <file>', 'output .safetensors file')
    .addHelpText('after', '\nExample:\n  ctlkit features --model runs/ft_a/model.safetensors --inputs data/val.safetensors --layers layer1.0,fc --out feats.safetensors')
    .action((opts: FeaturesOptions) => runFeatures(opts));
}
