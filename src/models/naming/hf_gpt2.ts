// Hugging Face transformers GPT2LMHeadModel (`transformer.*`, optional `lm_head`), and GPT2Model
// saved on its own (no `transformer.` prefix).
import type { Gpt2Naming } from './types.js';

function gpt2Naming(prefix: string, convention: string, signature: string[]): Gpt2Naming {
  return {
    convention,
    signature: { names: signature, prefixes: [] },
    wte: `${prefix}wte`,
    wpe: `${prefix}wpe`,
    embedOut: `${prefix}drop`,
    block: `${prefix}h.{i}`,
    ln1: `${prefix}h.{i}.ln_1`,
    attnQkv: `${prefix}h.{i}.attn.c_attn`,
    attnOut: `${prefix}h.{i}.attn.c_proj`,
    ln2: `${prefix}h.{i}.ln_2`,
    mlpIn: `${prefix}h.{i}.mlp.c_fc`,
    mlpOut: `${prefix}h.{i}.mlp.c_proj`,
    finalLn: `${prefix}ln_f`,
    lmHead: 'lm_head',
  };
}

export const hfGpt2LMHead = gpt2Naming('transformer.', 'Hugging Face GPT2LMHeadModel', ['transformer.wte.weight']);
export const hfGpt2Bare = gpt2Naming('', 'Hugging Face GPT2Model', ['wte.weight', 'wpe.weight', 'h.0.attn.c_attn.weight']);
