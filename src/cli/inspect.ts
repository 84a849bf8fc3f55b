// ctlkit inspect <checkpoint>: metadata and every tensor's name, dtype and shape.
import type { Command } from 'commander';
import { openCheckpoint } from '../io/checkpoint.js';
import type { Checkpoint, TensorInfo } from '../io/types.js';
import { numel, shapeStr } from '../tensor.js';
import { loadModelConfig } from '../models/config.js';
import { formatModelSummary, summarizeModel, type ModelSummary } from './model_summary.js';
import { formatTable } from '../report/format.js';
import { formatSystemInfo, systemInfo } from './system_info.js';
import { writeJsonAtomic } from './util.js';
import { displayName } from '../util/escape.js';
import { attachHead } from '../models/zero_shot_head.js';

export interface CheckpointSummary {
  path: string;
  metadata: Record<string, string>;
  numTensors: number;
  numParams: number;
  tensors: TensorInfo[];
  /** Detected architecture, config, hooks and input (or why no model was recognised). */
  model?: ModelSummary;
}

export function summarize(ckpt: Checkpoint): CheckpointSummary {
  const tensors = [...ckpt.tensors.values()];
  return {
    path: ckpt.path,
    metadata: { ...ckpt.metadata },
    numTensors: tensors.length,
    numParams: tensors.reduce((s, t) => s + numel(t.shape), 0),
    tensors,
  };
}

export function formatSummary(s: CheckpointSummary): string {
  // names and metadata come from the file: escaped and elided, so one odd entry cannot blow the
  // table up (a 10-million-character name) or split its lines (a name holding a newline)
  const meta = Object.entries(s.metadata).map(([k, v]) => `${displayName(k)}=${displayName(v)}`).join(', ');
  const rows = s.tensors.map((t) => [displayName(t.name), t.dtype, shapeStr(t.shape), String(numel(t.shape))]);
  return [
    s.path,
    `metadata: ${meta || '(none)'}`,
    `${s.numTensors} tensors, ${s.numParams} parameters`,
    ...(s.model ? [formatModelSummary(s.model)] : []),
    '',
    formatTable(['name', 'dtype', 'shape', 'numel'], rows, [3]),
  ].join('\n');
}

export function register(program: Command): void {
  program
    .command('inspect')
    .description("list a checkpoint's metadata, tensors (name, dtype, shape), detected architecture, hooks and input")
    .argument('[checkpoint]', 'a .safetensors file, a *.safetensors.index.json, a torch.save file, or a folder holding one')
    .option('--system', "this machine instead: CPU, memory, the native addon's ISA level and threads")
    .option('--config <file>', 'model config.json (default: config.json beside the checkpoint)')
    .option('--head <file>', 'a zero-shot head file to lay over the checkpoint (adds the hook logits)')
    .option('--json [file]', 'print JSON instead of the table, or write it to <file>')
    .addHelpText('after', '\nExamples:\n  ctlkit inspect runs/ft_a/model.safetensors\n  ctlkit inspect runs/ft_a --json summary.json\n  ctlkit inspect --system')
    .action(async (checkpoint: string | undefined, opts: { json?: string | true; config?: string; head?: string; system?: boolean }) => {
      if (opts.system) {
        if (checkpoint !== undefined) throw new Error('inspect: --system takes no checkpoint');
        const info = systemInfo();
        if (typeof opts.json === 'string') await writeJsonAtomic(opts.json, info);
        else console.log(opts.json ? JSON.stringify(info, null, 2) : formatSystemInfo(info));
        return;
      }
      if (checkpoint === undefined) throw new Error('inspect: give a checkpoint (a file or a folder), or --system');
      let ckpt = await openCheckpoint(checkpoint);
      if (opts.head !== undefined) {
        try {
          [ckpt] = await attachHead([ckpt], opts.head);
        } catch (e) {
          await ckpt.close();
          throw e;
        }
      }
      try {
        const summary = { ...summarize(ckpt), model: summarizeModel(ckpt, await loadModelConfig(checkpoint, opts.config)) };
        if (typeof opts.json === 'string') await writeJsonAtomic(opts.json, summary);
        else console.log(opts.json ? JSON.stringify(summary, null, 2) : formatSummary(summary));
      } finally {
        await ckpt.close();
      }
    });
}
