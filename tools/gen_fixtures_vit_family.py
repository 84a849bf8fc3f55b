#!/usr/bin/python3
"""Goldens for the CLIP / ViT conventions users hold (issue 12), with Debian's PyTorch only:

    /usr/bin/python3 tools/gen_fixtures_vit_family.py            # models and sweeps
    /usr/bin/python3 tools/gen_fixtures_vit_family.py models     # test/fixtures/models/<case>/ only
    /usr/bin/python3 tools/gen_fixtures_vit_family.py sweeps     # test/fixtures/sweeps/clip/ only

models: two or more cases per convention (open_clip with and without task_vectors' `model.`
prefix, Hugging Face CLIP, Hugging Face ViT, timm), in the layout of tools/gen_fixtures.py
(model.safetensors, config.json where needed, inputs, outputs at every hook, hooks.json,
case.json). The models are tools/fixtures/vit_family.py (written from the open_clip /
transformers / timm source files its docstring names); each case's hooks are checked against the
second formulation `alt_forward` (the other attention formulation) to 1e-5 relative before writing.
sweeps: test/fixtures/sweeps/clip/, the paper's model shape (a task_vectors ImageEncoder, QuickGELU)
at toy size, with the golden CTL sweeps of tools/fixtures/sweep_golden.py.
Seeded and single-threaded: two runs give byte-identical files.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fixtures import vit_family as vf  # noqa: E402
from fixtures.jsonio import write_json  # noqa: E402
from fixtures.st_io import DTYPES, read_safetensors, write_safetensors  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'test', 'fixtures')
TOLERANCE = 'every hook: max |Δ| ≤ 1e-5 × max |ref|'


def images(seed, n, size, classes):
    g = torch.Generator().manual_seed(seed)
    return {'inputs': torch.randn([n, 3, size, size], generator=g), 'labels': torch.randint(0, classes, (n,), generator=g)}


def open_clip_spec(prefix, heads, act):
    v = f'{prefix}visual.'
    b = v + 'transformer.resblocks.{i}'
    return {'conv': v + 'conv1', 'cls': v + 'class_embedding', 'pos': v + 'positional_embedding', 'ln_pre': v + 'ln_pre',
            'ln1': b + '.ln_1', 'qkv_w': b + '.attn.in_proj_weight', 'qkv_b': b + '.attn.in_proj_bias',
            'out': b + '.attn.out_proj', 'ln2': b + '.ln_2', 'fc1': b + '.mlp.c_fc', 'fc2': b + '.mlp.c_proj', 'layer': b,
            'final': v + 'ln_post', 'final_on': 'class', 'proj_matrix': v + 'proj', 'proj_hook': f'{prefix}visual',
            'heads': heads, 'eps': 1e-5, 'act': act, 'attention': 'manual'}


def hf_clip_spec(c):
    v = 'vision_model.'
    b = v + 'encoder.layers.{i}'
    return {'conv': v + 'embeddings.patch_embedding', 'cls': v + 'embeddings.class_embedding',
            'pos': v + 'embeddings.position_embedding.weight', 'embed_hook': v + 'embeddings', 'ln_pre': v + 'pre_layrnorm',
            'ln1': b + '.layer_norm1', 'q': b + '.self_attn.q_proj', 'k': b + '.self_attn.k_proj', 'v': b + '.self_attn.v_proj',
            'out': b + '.self_attn.out_proj', 'ln2': b + '.layer_norm2', 'fc1': b + '.mlp.fc1', 'fc2': b + '.mlp.fc2',
            'layer': b, 'final': v + 'post_layernorm', 'final_on': 'class', 'proj_linear': 'visual_projection',
            'heads': c['num_attention_heads'], 'eps': c['layer_norm_eps'], 'act': c['hidden_act'], 'attention': 'torch'}


def hf_vit_spec(c, prefix):
    b = prefix + 'encoder.layer.{i}'
    return {'conv': prefix + 'embeddings.patch_embeddings.projection', 'cls': prefix + 'embeddings.cls_token',
            'pos': prefix + 'embeddings.position_embeddings', 'embed_hook': prefix + 'embeddings',
            'ln1': b + '.layernorm_before', 'q': b + '.attention.attention.query', 'k': b + '.attention.attention.key',
            'v': b + '.attention.attention.value', 'out': b + '.attention.output.dense', 'ln2': b + '.layernorm_after',
            'fc1': b + '.intermediate.dense', 'fc2': b + '.output.dense', 'layer': b, 'final': prefix + 'layernorm',
            'final_on': 'all', 'head': 'classifier' if prefix else None,
            'heads': c['num_attention_heads'], 'eps': c['layer_norm_eps'], 'act': c['hidden_act'], 'attention': 'torch'}


def timm_spec(heads):
    b = 'blocks.{i}'
    return {'conv': 'patch_embed.proj', 'cls': 'cls_token', 'pos': 'pos_embed', 'embed_hook': 'pos_drop',
            'ln1': b + '.norm1', 'qkv_w': b + '.attn.qkv.weight', 'qkv_b': b + '.attn.qkv.bias', 'out': b + '.attn.proj',
            'ln2': b + '.norm2', 'fc1': b + '.mlp.fc1', 'fc2': b + '.mlp.fc2', 'layer': b, 'final': 'norm',
            'final_on': 'all', 'head': 'head', 'heads': heads, 'eps': 1e-6, 'act': 'gelu', 'attention': 'manual'}


def hf_clip_config(hidden, heads, layers, inter, patch, image, proj, act='quick_gelu'):
    return {'hidden_size': hidden, 'num_attention_heads': heads, 'num_hidden_layers': layers, 'intermediate_size': inter,
            'patch_size': patch, 'image_size': image, 'projection_dim': proj, 'hidden_act': act, 'layer_norm_eps': 1e-5}


def model_cases():
    cases = []
    # open_clip in task_vectors' ImageEncoder: model.* prefix, text transformer deleted, QuickGELU,
    # heads = width / 64 (2 heads of 64), no config.json
    vis = dict(image_size=32, patch_size=8, width=128, layers=2, heads=2, mlp_ratio=1.0)
    m = vf.randomise_(vf.ImageEncoder(vf.CLIP(vis, 24, 'quick_gelu', keep_lang=False)), 1201)
    cases.append(dict(name='clip_task_vectors', family='clip', model=m, hooks=vf.open_clip_hooks(m, 'model.'),
                      transform=vf.open_clip_batch_first, spec=open_clip_spec('model.', 2, 'quick_gelu'), config=None,
                      inputs=images(2201, 3, 32, 24), seed=1201,
                      description='task_vectors ImageEncoder around an open_clip CLIP (keep_lang=False): model.visual.*, '
                                  'width 128 (2 heads of 64 by the width/64 rule), 2 blocks, patch 8, image 32 (17 tokens), '
                                  'MLP ratio 1 (128 wide, to keep the file small), embed 24, QuickGELU; text leftovers token_embedding, positional_embedding, ln_final, '
                                  'text_projection, logit_scale; no config.json.'))
    # bare open_clip CLIP with its text tower, exact GELU and 3 heads of 32 from config.json; odd patch/image
    vis = dict(image_size=21, patch_size=7, width=96, layers=2, heads=3, mlp_ratio=2.0)
    m = vf.randomise_(vf.CLIP(vis, 40, 'gelu'), 1202)
    cases.append(dict(name='clip_open_clip_gelu', family='clip', model=m, hooks=vf.open_clip_hooks(m, ''),
                      transform=vf.open_clip_batch_first, spec=open_clip_spec('', 3, 'gelu'),
                      config={'num_heads': 3, 'hidden_act': 'gelu'}, inputs=images(2202, 2, 21, 40), seed=1202,
                      description='open_clip CLIP state dict (visual.* and the text tower transformer.*, token_embedding, '
                                  '...), width 96 with 3 heads of 32 and exact GELU from config.json, 2 blocks, MLP ratio 2, patch 7, '
                                  'image 21 (10 tokens), embed 40.'))
    # Hugging Face CLIPVisionModelWithProjection: flat config, QuickGELU, 2 heads of 32, odd MLP width
    c = hf_clip_config(64, 2, 2, 100, 4, 16, 24)
    m = vf.randomise_(vf.CLIPVisionModelWithProjection(c), 1203)
    cases.append(dict(name='hf_clip_vision_projection', family='clip', model=m, hooks=vf.hf_clip_hooks(m), spec=hf_clip_spec(c),
                      config={**c, 'model_type': 'clip_vision_model', 'architectures': ['CLIPVisionModelWithProjection']},
                      inputs=images(2203, 3, 16, 24), seed=1203,
                      description='HF CLIPVisionModelWithProjection: hidden 64, 2 heads of 32, 2 layers, intermediate 100, '
                                  'patch 4, image 16 (17 tokens), projection 24, quick_gelu, eps 1e-5.'))
    # Hugging Face CLIPModel: vision_config nested, text leftovers, persistent position_ids, 2 heads of 64, exact GELU
    c = hf_clip_config(128, 2, 2, 72, 6, 18, 32, act='gelu')
    m = vf.randomise_(vf.CLIPModel(c), 1204)
    cases.append(dict(name='hf_clip_model', family='clip', model=m, hooks=vf.hf_clip_hooks(m), spec=hf_clip_spec(c),
                      config={'architectures': ['CLIPModel'], 'model_type': 'clip', 'projection_dim': 32,
                              'text_config': {'hidden_size': 16, 'num_attention_heads': 1}, 'vision_config': c},
                      inputs=images(2204, 2, 18, 32), seed=1204,
                      description='HF CLIPModel (vision tower of it): config.json with vision_config, hidden 128, 2 heads '
                                  'of 64, 2 layers, intermediate 72, gelu, patch 6, image 18 (10 tokens); text_model.*, text_projection, '
                                  'logit_scale and position_ids buffers in the file.'))
    # Hugging Face ViTForImageClassification / ViTModel (pooler present, not run)
    c = {'hidden_size': 64, 'num_attention_heads': 2, 'num_hidden_layers': 2, 'intermediate_size': 72, 'patch_size': 4,
         'image_size': 16, 'hidden_act': 'gelu', 'layer_norm_eps': 1e-12, 'num_labels': 5}
    m = vf.randomise_(vf.ViTForImageClassification(c), 1205)
    cases.append(dict(name='hf_vit_classifier', family='vit', model=m, hooks=vf.hf_vit_hooks(m, 'vit.'), spec=hf_vit_spec(c, 'vit.'),
                      config={**c, 'architectures': ['ViTForImageClassification'], 'model_type': 'vit'},
                      inputs=images(2205, 3, 16, 5), seed=1205,
                      description='HF ViTForImageClassification: hidden 64, 2 heads of 32, 2 layers, intermediate 72, '
                                  'patch 4, image 16, 5 labels, eps 1e-12, exact GELU.'))
    c = {'hidden_size': 60, 'num_attention_heads': 3, 'num_hidden_layers': 3, 'intermediate_size': 90, 'patch_size': 5,
         'image_size': 15, 'hidden_act': 'gelu', 'layer_norm_eps': 1e-12}
    m = vf.randomise_(vf.ViTModel(c), 1206)
    cases.append(dict(name='hf_vit_model', family='vit', model=m, hooks=vf.hf_vit_hooks(m, ''), spec=hf_vit_spec(c, ''),
                      config={**c, 'architectures': ['ViTModel'], 'model_type': 'vit'}, inputs=images(2206, 2, 15, 5), seed=1206,
                      description='HF ViTModel saved on its own (no prefix; pooler.dense present, not run): hidden 60, '
                                  '3 heads of 20, 3 layers, patch 5, image 15 (10 tokens).'))
    # timm
    m = vf.randomise_(vf.TimmVisionTransformer(32, 8, 128, 2, 2, 1.0, 6), 1207)
    cases.append(dict(name='timm_vit', family='vit', model=m, hooks=vf.timm_hooks(m), spec=timm_spec(2),
                      config={'architecture': 'vit_tiny_test_patch8_32', 'num_heads': 2, 'num_classes': 6},
                      inputs=images(2207, 3, 32, 6), seed=1207,
                      description='timm VisionTransformer: embed 128, 2 heads of 64, depth 2, mlp ratio 1, patch 8, image 32, 6 classes, '
                                  'eps 1e-6, exact GELU; config.json as timm writes it ("architecture": "vit_…").'))
    m = vf.randomise_(vf.TimmVisionTransformer(12, 3, 72, 2, 3, 3.0, 0), 1208)
    cases.append(dict(name='timm_vit_headless', family='vit', model=m, hooks=vf.timm_hooks(m), spec=timm_spec(3),
                      config={'num_heads': 3}, inputs=images(2208, 2, 12, 4), seed=1208,
                      description='timm VisionTransformer with num_classes=0 (head is Identity: no head tensors): embed 72, '
                                  '3 heads of 24, depth 2, mlp 216, patch 3, image 12 (17 tokens).'))
    return cases


def check_alt(case, outputs, state):
    sd = {k: v.float() for k, v in state.items() if v.is_floating_point()}
    with torch.no_grad():
        alt = vf.alt_forward(sd, case['spec'], case['inputs']['inputs'])
    if sorted(alt) != sorted(case['hooks']):
        raise RuntimeError(f'{case["name"]}: second formulation hooks {sorted(alt)} != {sorted(case["hooks"])}')
    for h in case['hooks']:
        ref, got = outputs[h], alt[h]
        err = (ref - got).abs().max().item() / ref.abs().max().item()
        if list(ref.shape) != list(got.shape) or not err <= 1e-5:
            raise RuntimeError(f'{case["name"]}: {h}: second formulation differs ({list(got.shape)}, rel {err:.2e})')


def write_case(root, case):
    folder = os.path.join(root, case['name'])
    os.makedirs(folder, exist_ok=True)
    model = case['model']
    state = model.state_dict()
    outputs = vf.capture(model, case['inputs']['inputs'], case['hooks'], case.get('transform', lambda h: None))
    check_alt(case, outputs, state)
    write_safetensors(os.path.join(folder, 'model.safetensors'), state)
    write_safetensors(os.path.join(folder, 'inputs.safetensors'), case['inputs'])
    write_safetensors(os.path.join(folder, 'outputs.safetensors'), outputs)
    write_json(os.path.join(folder, 'hooks.json'), case['hooks'])
    if case['config'] is not None:
        write_json(os.path.join(folder, 'config.json'), case['config'])
    write_json(os.path.join(folder, 'case.json'), {
        'name': case['name'], 'family': case['family'], 'description': case['description'], 'weights_dtype': 'F32',
        'tensors': len(state), 'seed': case['seed'],
        'inputs': {k: {'dtype': DTYPES[v.dtype], 'shape': list(v.shape)} for k, v in case['inputs'].items()},
        'outputs': {h: {'dtype': 'F32', 'shape': list(outputs[h].shape)} for h in case['hooks']},
        'tolerance': TOLERANCE, 'second_formulation': 'every hook within 1e-5 relative (tools/fixtures/vit_family.py alt_forward)',
    })
    got = read_safetensors(os.path.join(folder, 'outputs.safetensors'))
    if any(not torch.equal(got[h], outputs[h]) for h in case['hooks']):
        raise RuntimeError(f'{folder}: outputs differ after round trip')
    return folder


def sweep_clip(root):
    """sweeps/clip/: a task_vectors-shaped CLIP (QuickGELU, model.* prefix; width 32, 2 heads of 16 from
    config.json, 2 blocks, image 12, patch 4, embed 6) with a zero-shot head (head.safetensors,
    5 classes, task_vectors ClassificationHead(normalize=True)) as the hook `logits`, through
    sweep_golden's machinery; loss and accuracy from `logits`."""
    from fixtures import sweep_golden as sg
    vis = dict(image_size=12, patch_size=4, width=32, layers=2, heads=2, mlp_ratio=4.0)
    g = torch.Generator().manual_seed(506)
    head = {'weight': torch.randn([5, 6], generator=g), 'bias': torch.randn([5], generator=g) * 0.1}
    factory = lambda: vf.ZeroShotClassifier(vf.CLIP(vis, 6, 'quick_gelu', keep_lang=False),  # noqa: E731
                                            vf.ClassificationHead(head['weight'], head['bias']))
    transform = vf.open_clip_batch_first

    def features(fac, state, inputs, hooks):
        model = fac()
        missing, unexpected = model.load_state_dict(state, strict=False)
        if unexpected or sorted(missing) != ['logits.bias', 'logits.weight']:
            raise RuntimeError(f'clip sweep: state mismatch {missing} {unexpected}')
        return {h: v.double().numpy() for h, v in vf.capture(model, inputs, hooks, transform).items()}

    sg.features = features  # run_mode and write_family look the feature function up by name
    sg.pretrained = lambda family, fac, seed: vf.randomise_(fac(), seed)
    # the basis files hold the ImageEncoder (model.*); the head is its own file, the same for all
    sg.checkpoint = lambda model: {k: v.clone() for k, v in model.state_dict().items() if k.startswith('model.')}
    os.makedirs(os.path.join(root, 'sweeps', 'clip'), exist_ok=True)
    write_safetensors(os.path.join(root, 'sweeps', 'clip', 'head.safetensors'), head)

    def make_inputs(seed, pre):
        return sg.labelled_image_inputs(seed, [sg.N, 3, 12, 12], pre, ['logits'])
    return write_family_clip(sg, root, factory, make_inputs)


def write_family_clip(sg, root, factory, make_inputs):
    folder = os.path.join(root, 'sweeps', 'clip')
    os.makedirs(folder, exist_ok=True)
    seed = 505
    pre = sg.pretrained('clip', factory, seed)
    inputs = make_inputs(seed + 1000, pre)
    hooks = vf.open_clip_hooks(pre, 'model.') + ['logits']
    states = {'pre': sg.checkpoint(pre)}
    for name, (offset, tracked) in sg.FINETUNED.items():
        states[name] = sg.perturb(states['pre'], seed + offset, tracked)
    for name, state in states.items():
        write_safetensors(os.path.join(folder, f'{name}.safetensors'), state)
    write_safetensors(os.path.join(folder, 'inputs.safetensors'), inputs)
    config = {'architecture': 'clip', 'num_heads': 2}
    write_json(os.path.join(folder, 'config.json'), config)
    ctx = {'family': 'clip', 'factory': factory, 'config': config, 'hooks': hooks, 'states': states,
           'inputs': inputs['inputs'], 'labels': inputs['labels'].numpy(),
           'feats': {n: sg.features(factory, s, inputs['inputs'], hooks) for n, s in states.items()}}
    goldens = {
        'interpolate': sg.run_mode(ctx, 'interpolate', ['ft_a', 'ft_b'], [[a, 1 - a] for a in sg.ALPHAS], 'alpha', sg.ALPHAS),
        'average': sg.run_mode(ctx, 'average', ['ft_a', 'ft_b', 'ft_c'], [[1 / 3] * 3]),
        'task_arithmetic': sg.run_mode(ctx, 'task-arithmetic', ['pre', 'ft_a', 'ft_b'],
                                       [[1 - 2 * l, l, l] for l in sg.TA_LAMBDAS], 'lambda', sg.TA_LAMBDAS),
        'negate': sg.run_mode(ctx, 'negate', ['pre', 'ft_a'], [[1 + l, -l] for l in sg.NEG_LAMBDAS], 'lambda', sg.NEG_LAMBDAS),
    }
    for name, result in goldens.items():
        write_json(os.path.join(folder, f'{name}.json'), result)
    return folder


def main(argv):
    parts = argv or ['models', 'sweeps']
    if any(p not in ('models', 'sweeps') for p in parts):
        sys.exit(f'gen_fixtures_vit_family.py: unknown part(s) {parts}; expected "models" and/or "sweeps"')
    torch.set_num_threads(1)
    torch.manual_seed(0)
    if 'models' in parts:
        for case in model_cases():
            print('wrote', os.path.relpath(write_case(os.path.join(ROOT, 'models'), case), ROOT))
    if 'sweeps' in parts:
        print('wrote', os.path.relpath(sweep_clip(ROOT), ROOT))


if __name__ == '__main__':
    main(sys.argv[1:])
