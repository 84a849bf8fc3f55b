// The task_vectors zero-shot head (src/heads.py ClassificationHead(normalize=True): a Linear whose
// input is L2-normalised first), given as its own file: `weight` [C, E] and optionally `bias` [C].
// It is laid over a checkpoint as the tensors `logits.weight` / `logits.bias`, so the model builder
// sees it and adds the hook `logits` (logits = W · x/‖x‖ + b on encode_image's output). Every basis
// model of a sweep gets the same head: a row's head is (Σ_j C_kj) · W, which is W for every
// built-in mode (interpolate, average, task arithmetic, negate: each row's coefficients sum to 1).
import { openCheckpoint } from '../io/checkpoint.js';
import type { Checkpoint, TensorInfo } from '../io/types.js';

/** The hook (and module path) of the zero-shot head. */
export const HEAD_HOOK = 'logits';
const HEAD_KEYS = ['weight', 'bias'];

/** Where a head tensor laid over a checkpoint came from, for error messages: `file (key)`. */
export const headOrigin = (info: TensorInfo | undefined): string => info?.name ?? 'the zero-shot head';

/** Opens `headPath` and checks it holds `weight` [C, E] (and `bias` [C]) and nothing else. */
export async function openHead(headPath: string): Promise<Checkpoint> {
  const head = await openCheckpoint(headPath);
  try {
    const extra = [...head.tensors.keys()].filter((k) => !HEAD_KEYS.includes(k));
    if (extra.length > 0) throw new Error(`${headPath}: unexpected tensor '${extra[0]}' in a zero-shot head: expected only 'weight' [classes, embed] and 'bias' [classes]`);
    const w = head.tensors.get('weight');
    if (!w) throw new Error(`${headPath}: missing tensor 'weight' [classes, embed] of the zero-shot head`);
    if (w.shape.length !== 2 || w.dtype.startsWith('I') || w.dtype === 'U8' || w.dtype === 'BOOL') {
      throw new Error(`${headPath}: weight has dtype ${w.dtype} shape [${w.shape.join(', ')}], expected a float [classes, embed] matrix`);
    }
    const b = head.tensors.get('bias');
    if (b && (b.shape.length !== 1 || b.shape[0] !== w.shape[0])) {
      throw new Error(`${headPath}: bias has shape [${b.shape.join(', ')}], expected [${w.shape[0]}] (one per class of weight [${w.shape.join(', ')}])`);
    }
    return head;
  } catch (e) {
    await head.close();
    throw e;
  }
}

/** `ckpt` with the head's tensors as `logits.*` (the head stays open until the result is closed;
 *  `ownsHead`: close the head with it). */
export function withHead(ckpt: Checkpoint, head: Checkpoint, ownsHead: boolean): Checkpoint {
  const tensors = new Map(ckpt.tensors);
  for (const [key, info] of head.tensors) {
    const name = `${HEAD_HOOK}.${key}`;
    if (tensors.has(name)) throw new Error(`${ckpt.path}: already holds a tensor '${name}': cannot add the zero-shot head ${head.path}`);
    tensors.set(name, { ...info, name: `${head.path} (${key})` });
  }
  return {
    path: ckpt.path,
    tensors,
    metadata: ckpt.metadata,
    read: (name) => (name.startsWith(`${HEAD_HOOK}.`) && !ckpt.tensors.has(name) ? head.read(name.slice(HEAD_HOOK.length + 1)) : ckpt.read(name)),
    close: async () => {
      await ckpt.close();
      if (ownsHead) await head.close();
    },
  };
}

/** Lays the head file over every checkpoint (it is closed with the last of them). */
export async function attachHead(ckpts: readonly Checkpoint[], headPath: string): Promise<Checkpoint[]> {
  const head = await openHead(headPath);
  let open = ckpts.length;
  const shared: Checkpoint = {
    path: head.path,
    tensors: head.tensors,
    metadata: head.metadata,
    read: (name) => head.read(name),
    close: async () => (--open === 0 ? head.close() : undefined),
  };
  try {
    return ckpts.map((c) => withHead(c, shared, true));
  } catch (e) {
    await head.close();
    throw e;
  }
}
