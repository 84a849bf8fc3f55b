"""Writes the PyTorch pickle-checkpoint fixtures (test/fixtures/pickle) with Debian's torch.

Run by hand: /usr/bin/python3 tools/gen_pickle_fixtures.py

Each readable fixture X.pt has X.expected.safetensors beside it: exactly what state_dict() (or the
dict itself) holds, made contiguous, so the reader is compared bit for bit. Attack fixtures hold live
payloads (checked here: Python's own pickle really runs them) that would create a marker file.
"""
import collections
import functools
import io
import json
import os
import pickle
import struct
import subprocess
import sys
import types
import zipfile

import torch
import torchvision.transforms as T

sys.path.insert(0, os.path.dirname(__file__))
from fixtures.st_io import write_safetensors  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'pickle')
os.makedirs(OUT, exist_ok=True)
MARKER_DIR = '/tmp'  # attack payloads would create /tmp/ctlkit-pickle-pwned-<name>


def path(name):
    return os.path.join(OUT, name)


def save_both(obj, stem):
    """torch.save in the zip format (stem.pt) and the legacy format (stem_legacy.pt)."""
    torch.save(obj, path(stem + '.pt'))
    torch.save(obj, path(stem + '_legacy.pt'), _use_new_zipfile_serialization=False)


def expected(tensors, stem, note):
    write_safetensors(path(stem + '.expected.safetensors'),
                      {k: v.detach().contiguous() for k, v in tensors.items()},
                      metadata={'source': 'tools/gen_pickle_fixtures.py, torch ' + torch.__version__, 'what': note})


# 1. A flat state dict: every dtype, shared storages, slices, strided views, a 0-d tensor.
g = torch.Generator().manual_seed(0)
base = torch.randn(4, 6, generator=g)
state = collections.OrderedDict()
state['dense.weight'] = base
state['dense.tied'] = base                     # the same tensor twice (tied weights)
state['slice.rows'] = base[1:3]                # storage offset 6
state['slice.cols'] = base[:, 2:5]             # offset 2, strides (6, 1), not contiguous
state['view.transposed'] = base.t()            # strides (1, 6)
state['view.every_other'] = base[::2, 1::2]    # strides (12, 2), offset 1
state['half'] = (torch.randn(5, generator=g) * 100).half()
state['bf16'] = torch.randn(2, 3, generator=g).bfloat16()
state['bf16_view'] = state['bf16'][:, 1]
state['ids'] = torch.tensor([0, -7, 2**40, 2**62 + 5], dtype=torch.int64)
state['scalar'] = torch.tensor(3.25)
state['empty'] = torch.zeros(0, 3)
state['mask'] = torch.tensor([True, False, True])
state['expanded'] = torch.arange(3.0).expand(2, 3)  # strides (0, 1)
save_both(state, 'state')
expected(state, 'state', 'flat state dict')

# 2. A training checkpoint: DataParallel's module. prefix, an optimizer beside, plain values.
torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
net(torch.randn(2, 3, generator=g)).sum().backward()
opt.step()
sd = net.state_dict()
train = {'epoch': 7, 'best_acc': 0.875, 'args': {'lr': 1e-3, 'name': 'run'},
         'state_dict': collections.OrderedDict(('module.' + k, v) for k, v in sd.items()),
         'optimizer': opt.state_dict()}
save_both(train, 'training')
torch.save(net, path('mlp_module.pt'))  # the whole nn.Sequential pickled: torch.nn classes as inert records
expected(sd, 'training', 'state_dict with module. stripped')

# Lightning-style: the LightningModule's state_dict prefixes its attribute (model.), callbacks beside.
lightning = {'pytorch-lightning_version': '1.9.0', 'epoch': 2, 'global_step': 10,
             'state_dict': collections.OrderedDict(('model.' + k, v) for k, v in sd.items()),
             'optimizer_states': [opt.state_dict()], 'lr_schedulers': [], 'callbacks': {}}
torch.save(lightning, path('lightning.ckpt'))

# Two tensor sets side by side: needs --key.
two = {'model': sd, 'ema': collections.OrderedDict((k, v * 0.5) for k, v in sd.items())}
torch.save(two, path('two_sets.pt'))
expected(two['ema'], 'two_sets', 'the "ema" set')
torch.save(two['ema'], path('ema_legacy.pt'), _use_new_zipfile_serialization=False)  # a second basis model

# 3. A pickled module tree whose classes live in a module that exists only while it is written.
mod = types.ModuleType('ctlkit_throwaway.modeling')
sys.modules['ctlkit_throwaway'] = types.ModuleType('ctlkit_throwaway')
sys.modules['ctlkit_throwaway.modeling'] = mod


class ResBlock(torch.nn.Module):
    def __init__(self, d):
        super().__init__()
        self.ln_1 = torch.nn.LayerNorm(d)
        self.attn = torch.nn.MultiheadAttention(d, 2)
        self.mlp = torch.nn.Sequential(collections.OrderedDict(
            [('c_fc', torch.nn.Linear(d, 2 * d)), ('gelu', torch.nn.GELU()), ('c_proj', torch.nn.Linear(2 * d, d))]))


class Visual(torch.nn.Module):
    def __init__(self, d):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, d, 2, 2, bias=False)
        self.class_embedding = torch.nn.Parameter(torch.randn(d, generator=g))
        self.bn = torch.nn.BatchNorm2d(d)        # persistent buffers: running_mean/var, num_batches_tracked
        self.resblocks = torch.nn.Sequential(ResBlock(d), ResBlock(d))
        self.proj = torch.nn.Parameter(torch.randn(d, 4, generator=g).t().contiguous().t())  # strided param
        self.norm_layer = functools.partial(torch.nn.LayerNorm, eps=1e-6)  # a plain attribute


class TinyClip(torch.nn.Module):
    def __init__(self, d):
        super().__init__()
        self.visual = Visual(d)
        self.token_embedding = torch.nn.Embedding(10, d)
        self.head = torch.nn.Linear(d, 10, bias=False)
        self.head.weight = self.token_embedding.weight  # tied weight
        self.tied_block = self.visual.resblocks[0].ln_1   # the same module under two names
        self.logit_scale = torch.nn.Parameter(torch.ones([]) * 2.5)
        self.register_buffer('attn_mask', torch.full((3, 3), float('-inf')).triu(1), persistent=False)
        self.register_buffer('position_ids', torch.arange(3))
        self.unused = None


class ImageEncoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.model = TinyClip(8)
        self.train_preprocess = T.Compose([T.Resize(8, interpolation=T.InterpolationMode.BICUBIC), T.ToTensor()])
        self.val_preprocess = T.Compose([T.Resize(8, interpolation=T.InterpolationMode.BILINEAR)])
        self.cache_dir = None


class TaggedTensor(torch.Tensor):
    """A tensor subclass: pickled through torch._tensor._rebuild_from_type_v2."""


for cls in (ResBlock, Visual, TinyClip, ImageEncoder, TaggedTensor):
    cls.__module__ = 'ctlkit_throwaway.modeling'
    cls.__qualname__ = cls.__name__
    setattr(mod, cls.__name__, cls)

torch.manual_seed(0)
enc = ImageEncoder()
with torch.no_grad():
    for p in enc.parameters():
        p.add_(torch.randn(p.shape, generator=g) * 0.1)
    enc.model.visual.bn.running_mean.add_(1.5)
enc = enc.half()
enc.model.logit_scale.data = enc.model.logit_scale.data.float()
save_both(enc, 'module')
sub = {'tagged': torch.arange(6.0).reshape(2, 3).as_subclass(TaggedTensor), 'plain': torch.ones(2)}
sub['tagged'].note = 'set through the subclass state'
save_both(sub, 'subclass')
expected({k: v.as_subclass(torch.Tensor) for k, v in sub.items()}, 'subclass', 'a tensor subclass')
expected(enc.state_dict(), 'module', 'ImageEncoder.state_dict()')
del sys.modules['ctlkit_throwaway.modeling'], sys.modules['ctlkit_throwaway']
for name in ('module.pt', 'module_legacy.pt', 'subclass.pt', 'subclass_legacy.pt'):
    with open(path(name), 'rb') as f:
        assert b'ctlkit_throwaway' in f.read(), name

# 4. A sharded pytorch_model.bin.index.json (two zip shards).
shard_dir = path('sharded')
os.makedirs(shard_dir, exist_ok=True)
names = list(sd)
shards = {'pytorch_model-00001-of-00002.bin': names[:2], 'pytorch_model-00002-of-00002.bin': names[2:]}
weight_map = {}
for fname, keys in shards.items():
    torch.save({k: sd[k] for k in keys}, os.path.join(shard_dir, fname))
    weight_map.update({k: fname for k in keys})
with open(os.path.join(shard_dir, 'pytorch_model.bin.index.json'), 'w') as f:
    json.dump({'metadata': {'total_size': sum(v.numel() * 4 for v in sd.values())}, 'weight_map': weight_map}, f)


# 5. Attacks: payloads that run a command when Python unpickles them.
def marker(name):
    return os.path.join(MARKER_DIR, 'ctlkit-pickle-pwned-' + name)


class System:
    def __reduce__(self):
        return os.system, ('touch ' + marker('os_system'),)


class Eval:
    def __reduce__(self):
        return eval, ("__import__('os').system('touch " + marker('eval') + "')",)


class Popen:
    def __reduce__(self):
        return subprocess.Popen, (['touch', marker('popen')],)


def getattr_chain():
    """getattr(getattr(os.path, 'os'), 'system')('touch …') in raw protocol-2 opcodes."""
    def s(text):
        b = text.encode()
        return b'X' + struct.pack('<I', len(b)) + b
    return (b'\x80\x02' + b'cbuiltins\ngetattr\n' + b'cbuiltins\ngetattr\n' + b'cos\npath\n' + s('os') + b'\x86R'
            + s('system') + b'\x86R' + s('touch ' + marker('getattr')) + b'\x85R.')


def zip_with(pickle_bytes, file):
    with zipfile.ZipFile(file, 'w', zipfile.ZIP_STORED) as z:
        z.writestr('archive/data.pkl', pickle_bytes)
        z.writestr('archive/version', '3\n')


def legacy_with(pickle_bytes, file):
    with open(file, 'wb') as f:
        for header in (0x1950a86a20f9469cfc6c, 1001, {'protocol_version': 1001, 'little_endian': True,
                                                      'type_sizes': {'short': 2, 'int': 4, 'long': 8}}):
            pickle.dump(header, f, protocol=2)
        f.write(pickle_bytes)
        pickle.dump([], f, protocol=2)


w = torch.arange(4, dtype=torch.float32)
for name, evil in (('os_system', System()), ('eval', Eval()), ('popen', Popen())):
    save_both({'w': w, 'x': evil}, 'attack_' + name)
zip_with(getattr_chain(), path('attack_getattr.pt'))
legacy_with(getattr_chain(), path('attack_getattr_legacy.pt'))

# Each payload is live: Python's pickle, loading the data.pkl, creates its marker.
for name in ('os_system', 'eval', 'popen', 'getattr'):
    with zipfile.ZipFile(path('attack_' + name + '.pt')) as z:
        data = z.read([n for n in z.namelist() if n.endswith('data.pkl')][0])
    up = pickle.Unpickler(io.BytesIO(data))
    up.persistent_load = lambda pid: torch.FloatStorage(int(pid[4]))
    up.load()
    for _ in range(50):
        if os.path.exists(marker(name)):
            break
        import time
        time.sleep(0.05)
    assert os.path.exists(marker(name)), name
    os.remove(marker(name))


# 6. Damaged files.
class BadView:
    """_rebuild_tensor_v2 over a real 4-element storage with a view that runs past its end."""
    def __init__(self, offset, size, stride):
        self.args = offset, size, stride

    def __reduce__(self):
        return torch._utils._rebuild_tensor_v2, (w.storage(), *self.args, False, collections.OrderedDict())


save_both({'w': BadView(3, (2,), (1,))}, 'bad_offset')          # needs elements 3..4 of 4
save_both({'w': BadView(0, (2**40, 2**40), (2**40, 1))}, 'bad_huge')  # numel overflows
save_both({'w': BadView(0, (2, 2), (3, 1))}, 'bad_stride')     # last element at 4
save_both({'w': BadView(0, (2**20, 2**10), (0, 0))}, 'bad_expand')  # 4 GiB from one element

# A storage entry shorter than the pickle says (zip) and an absurd storage count (legacy).
with zipfile.ZipFile(path('state.pt')) as z:
    entries = {n: z.read(n) for n in z.namelist()}
short = [n for n in entries if n.endswith('/data/0')][0]
entries[short] = entries[short][:10]
with zipfile.ZipFile(path('bad_short_storage.pt'), 'w', zipfile.ZIP_STORED) as z:
    for n, b in entries.items():
        z.writestr(n, b)

with open(path('state_legacy.pt'), 'rb') as f:
    raw = bytearray(f.read())
f = io.BytesIO(bytes(raw))


class Skipper(pickle._Unpickler):
    """Steps over a pickle without running anything: every global is a function returning {}."""
    def find_class(self, module, name):
        return lambda *a, **k: {}

    def persistent_load(self, pid):
        return None


for _ in range(5):  # magic, protocol, sys info, the object, storage keys
    Skipper(f).load()
raw[f.tell():f.tell() + 8] = struct.pack('<q', 2**61)
with open(path('bad_huge_count_legacy.pt'), 'wb') as out:
    out.write(raw)

# 7. The pickle machine itself: one value in every protocol (0-5), with its JSON rendering.
value = collections.OrderedDict([('int', [0, 1, -1, 255, 256, 65535, 65536, -2**31, 2**31, 2**62, -2**63, 2**70]),
                                 ('float', [1.5, -0.0, 1e300, float('inf')]), ('text', ['', 'ü€😀', 'a\nb\\c']),
                                 ('bytes', b'\x00\x01\xff'), ('const', [True, False, None]), ('tuple', (1, (2, 3), ())),
                                 ('set', {7}), ('frozen', frozenset([8])), ('shared', None)])
shared = [1, 2]
value['shared'] = [shared, shared]
rendered = json.dumps({'int': [str(i) for i in value['int']], 'float': ['1.5', '-0', '1e+300', 'Infinity'],
                       'text': value['text'], 'bytes': [0, 1, 255], 'const': [True, False, None],
                       'tuple': [1, [2, 3], []], 'set': [7], 'frozen': [8], 'shared': [[1, 2], [1, 2]]})
for proto in range(6):
    with open(path(f'proto{proto}.pkl'), 'wb') as f:
        pickle.dump(value, f, protocol=proto)
with open(path('protocols.json'), 'w') as f:
    f.write(rendered + '\n')

total = sum(os.path.getsize(os.path.join(d, n)) for d, _, ns in os.walk(OUT) for n in ns)
print(f'wrote {OUT}: {total} bytes')
