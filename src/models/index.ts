// Model builders: checkpoint header (names → shapes) + config → Model. The architecture comes from
// the config, else from the tensor names, matched against each naming convention's signature.
import type { TensorInfo } from '../io/types.js';
import { ARCHITECTURES, type Architecture, type Model, type ModelConfig } from './family.js';
import { ParamTable, recordParamTable } from './params.js';
import { buildMlp } from './mlp.js';
import { buildResNet } from './resnet.js';
import { buildVit } from './vit.js';
import { buildGpt2 } from './gpt2.js';
import type { Signature } from './naming/types.js';
import { displayName } from '../util/escape.js';
import { torchSequentialMlp } from './naming/torch_sequential_mlp.js';
import { torchvisionResNet } from './naming/torchvision_resnet.js';
import { torchvisionVit } from './naming/torchvision_vit.js';
import { hfGpt2Bare, hfGpt2LMHead } from './naming/hf_gpt2.js';
import { buildDecoder } from './decoder.js';
import { DECODER_TYPES } from './decoder_config.js';
import { hfDecoder } from './naming/hf_decoder.js';
import { buildVisionTower } from './vision_tower.js';
import { openClipModel, openClipTaskVectors } from './naming/open_clip.js';
import { hfClipVision } from './naming/hf_clip.js';
import { hfVitForImageClassification, hfVitModel } from './naming/hf_vit.js';
import { timmVit } from './naming/timm_vit.js';

interface Convention {
  architecture: Architecture;
  name: string;
  signature: Signature;
  build(t: ParamTable, config: Partial<ModelConfig>): Model;
}

const convention = <N extends { convention: string; signature: Signature }>(
  architecture: Architecture,
  naming: N,
  build: (t: ParamTable, config: Partial<ModelConfig>, naming: N) => Model,
): Convention => ({ architecture, name: naming.convention, signature: naming.signature, build: (t, c) => build(t, c, naming) });

/** Known conventions, most specific signature first. */
const CONVENTIONS: readonly Convention[] = [
  ...DECODER_TYPES.map((family) => convention(family, hfDecoder, buildDecoder)),
  convention('vit', torchvisionVit, buildVit),
  ...[openClipTaskVectors, openClipModel, hfClipVision, hfVitForImageClassification, hfVitModel, timmVit].map((n) =>
    convention(n.architecture, n, buildVisionTower)),
  convention('gpt2', hfGpt2LMHead, buildGpt2),
  convention('gpt2', hfGpt2Bare, buildGpt2),
  convention('resnet', torchvisionResNet, buildResNet),
  convention('mlp', torchSequentialMlp, buildMlp),
];


const matches = (sig: Signature, names: ReadonlyMap<string, unknown>): boolean =>
  sig.names.every((n) => names.has(n)) && sig.prefixes.every((pre) => [...names.keys()].some((n) => n.startsWith(pre)));

/** The conventions' signatures, each once (the decoder families share one): `names + prefix* (archs, name)`. */
function describeAll(): string {
  const bySignature = new Map<Signature, Convention[]>();
  for (const c of CONVENTIONS) bySignature.set(c.signature, [...(bySignature.get(c.signature) ?? []), c]);
  return [...bySignature.values()].map((cs) => {
    const sig = cs[0].signature;
    return `${[...sig.names, ...sig.prefixes.map((p) => `${p}*`)].join(' + ')} (${cs.map((c) => c.architecture).join('/')}, ${cs[0].name})`;
  }).join('; ');
}

function findConvention(tensors: ReadonlyMap<string, TensorInfo>, config: Partial<ModelConfig>, source: string): Convention {
  if (config.architecture !== undefined) {
    if (!ARCHITECTURES.includes(config.architecture)) {
      throw new Error(`${source}: unknown architecture '${String(config.architecture)}' in the config: expected ${ARCHITECTURES.join(', ')}`);
    }
    const ofArch = CONVENTIONS.filter((c) => c.architecture === config.architecture);
    return ofArch.find((c) => matches(c.signature, tensors)) ?? ofArch[0];
  }
  const found = CONVENTIONS.find((c) => matches(c.signature, tensors));
  if (found?.signature === hfDecoder.signature) {
    const type = config.modelType === undefined ? 'no "model_type"' : `"model_type" ${JSON.stringify(config.modelType)}`;
    throw new Error(`${source}: a Hugging Face decoder checkpoint, but its config has ${type}: known model_types are ${DECODER_TYPES.join(', ')}`);
  }
  if (found) return found;
  const sample = [...tensors.keys()].slice(0, 5).map((n) => displayName(n)).join(', ');
  throw new Error(
    `${source}: cannot detect the architecture from tensor names: looked for ${describeAll()}; ` +
      `found ${tensors.size} tensors (${sample || 'none'}${tensors.size > 5 ? ', …' : ''}). Set "architecture" in config.json`,
  );
}

/** The architecture named by `config`, else detected from the tensor names. */
export function detectArchitecture(tensors: ReadonlyMap<string, TensorInfo>, config: Partial<ModelConfig> = {}, source = 'checkpoint'): Architecture {
  return findConvention(tensors, config, source).architecture;
}

/** Builds the model from the checkpoint header alone, checking every shape against the others. */
export function buildModel(tensors: ReadonlyMap<string, TensorInfo>, config: Partial<ModelConfig> = {}, source = 'checkpoint'): Model {
  const conv = findConvention(tensors, config, source);
  const t = new ParamTable(tensors, source, `${conv.architecture} (${conv.name})`);
  const model = conv.build(t, config);
  recordParamTable(model, t); // for strict loading (checkStrictLoading)
  return model;
}
