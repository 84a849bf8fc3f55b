// ctlkit convert IN [--out OUT.safetensors]: any checkpoint ctlkit reads (a torch.save .pt/.pth/.bin/
// .ckpt, a pickled module, a sharded index, safetensors) written as one safetensors file, atomically.
// The whole input is opened (and a hostile pickle refused) before the output file is created.
import path from 'node:path';
import type { Command } from 'commander';
import { openCheckpoint } from '../io/checkpoint.js';
import type { StDType, TensorInfo } from '../io/types.js';
import { SafetensorsWriter, type FloatOutDType } from '../io/writer.js';

interface ConvertArgs {
  out?: string;
  dtype?: string;
  key?: string;
}

export interface ConvertSummary {
  out: string;
  tensors: number;
  metadata: Record<string, string>;
}

const FLOAT: ReadonlySet<StDType> = new Set(['F32', 'F16', 'BF16', 'F64']);

/** IN with its extension replaced by .safetensors (a folder or index: model.safetensors inside/beside). */
export function defaultOutPath(input: string): string {
  const base = path.basename(input).replace(/(\.bin)?\.index\.json$|\.(pt|pth|bin|ckpt|safetensors)$/i, '');
  return path.join(path.dirname(input), `${base || 'model'}.safetensors`);
}

export async function convertCheckpoint(input: string, out: string, opts: { dtype?: FloatOutDType; key?: string } = {}): Promise<ConvertSummary> {
  if (opts.dtype !== undefined && !['F32', 'F16', 'BF16'].includes(opts.dtype)) {
    throw new Error(`--dtype: expected F32, F16 or BF16, got '${String(opts.dtype)}'`);
  }
  if (path.resolve(out) === path.resolve(input)) throw new Error(`--out ${out}: would overwrite the input`);
  const ckpt = await openCheckpoint(input, { key: opts.key });
  try {
    // Floats keep their dtype unless --dtype is given (F64 becomes F32: ctlkit holds floats as float32).
    const storeAs = (t: TensorInfo): StDType => (FLOAT.has(t.dtype) ? (opts.dtype ?? (t.dtype === 'F64' ? 'F32' : t.dtype)) : t.dtype);
    const infos = [...ckpt.tensors.values()].map((t) => ({ name: t.name, dtype: storeAs(t), shape: t.shape }));
    const metadata: Record<string, string> = { ...ckpt.metadata, source: path.basename(input) };
    const writer = await SafetensorsWriter.create(out, infos, metadata);
    try {
      for (const info of infos) await writer.write(info.name, await ckpt.read(info.name));
      await writer.commit();
    } catch (e) {
      await writer.abort();
      throw e;
    }
    return { out, tensors: infos.length, metadata };
  } finally {
    await ckpt.close();
  }
}

export function register(program: Command): void {
  program
    .command('convert')
    .description('write a checkpoint (.pt/.pth/.bin/.ckpt torch.save file, pickled module, sharded index) as one .safetensors file')
    .argument('<checkpoint>', 'the input: any checkpoint ctlkit reads')
    .option('--out <file>', 'output .safetensors (default: the input name with .safetensors)')
    .option('--dtype <dtype>', 'store floats as F32 | F16 | BF16 (default: as found; F64 as F32)')
    .option('--key <key>', 'which tensor set of a training checkpoint (e.g. state_dict, ema; a/b for nested)')
    .addHelpText('after', '\nExamples:\n  ctlkit convert finetuned.pt\n  ctlkit convert last.ckpt --key state_dict --out model.safetensors --dtype F16')
    .action(async (input: string, a: ConvertArgs) => {
      const s = await convertCheckpoint(input, a.out ?? defaultOutPath(input), { dtype: a.dtype?.toUpperCase() as FloatOutDType | undefined, key: a.key });
      const from = [s.metadata.source_format, s.metadata.source_key && `key ${s.metadata.source_key}`, s.metadata.stripped_prefix && `prefix ${s.metadata.stripped_prefix} stripped`].filter(Boolean).join(', ');
      console.log(`${s.out}: ${s.tensors} tensors${from ? ` (${from})` : ''}`);
    });
}
