// Merge throughput: three Llama-shaped BF16 checkpoints (~1 GB each, 2 shards: base, a, b) made in
// /tmp at bench time; each method merged by ctlkit (one child process per run, so peak RSS is its
// own) and by a naive PyTorch script (load every tensor, compute in float32, write BF16) in the same
// run; GB/s = checkpoint bytes read + written per second. Warm page cache, then cold (pages evicted
// with posix_fadvise DONTNEED through python), and the disk's own read speed as the cold ceiling.
// model_stock (base + 2 models) and karcher (3 models): ctlkit only (native kernels, merge_gram.cpp).
// Usage: node dist/bench/merge.bench.js --make-models DIR [layers]  (then --models DIR reuses them)
// Usage: node dist/bench/merge.bench.js [--layers 7] [--methods linear,ties,dare_ties] [--out merge-bench.json] [--no-torch] [--no-cold] [--models DIR]
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ShardedWriter } from '../src/io/sharded_writer.js';
import { merge } from '../src/merge/run.js';
import { PYTHON, torchEnv } from './torch.js';

const HIDDEN = 2048, INTER = 5632, VOCAB = 32000;
const CONFIGS: Record<string, string> = {
  linear: 'merge_method: linear\nmodels:\n  - {model: a, parameters: {weight: 0.5}}\n  - {model: b, parameters: {weight: 0.5}}\ndtype: bfloat16\n',
  task_arithmetic: 'merge_method: task_arithmetic\nbase_model: base\nmodels:\n  - {model: a, parameters: {weight: 0.5}}\n  - {model: b, parameters: {weight: 0.5}}\ndtype: bfloat16\n',
  ties: 'merge_method: ties\nbase_model: base\nmodels:\n  - {model: a, parameters: {weight: 0.5, density: 0.5}}\n  - {model: b, parameters: {weight: 0.5, density: 0.5}}\ndtype: bfloat16\n',
  dare_ties: 'merge_method: dare_ties\nbase_model: base\nmodels:\n  - {model: a, parameters: {weight: 0.5, density: 0.5}}\n  - {model: b, parameters: {weight: 0.5, density: 0.5}}\ndtype: bfloat16\n',
  model_stock: 'merge_method: model_stock\nbase_model: base\nmodels:\n  - {model: a}\n  - {model: b}\ndtype: bfloat16\n',
  karcher: 'merge_method: karcher\nmodels:\n  - {model: base}\n  - {model: a}\n  - {model: b}\ndtype: bfloat16\n',
};

// Methods the naive script implements (model_stock and karcher: ctlkit only for now).
const TORCH_METHODS = new Set(['linear', 'task_arithmetic', 'ties', 'dare_ties']);

// The naive script: every tensor of every model loaded (torch.frombuffer on the whole file), the
// method in float32 (mergekit's math: TIES trims with topk of |δ|), BF16 written with one write.
const TORCH_SCRIPT = String.raw`
import json, os, struct, sys, time, torch
torch.set_num_threads(int(os.environ.get('THREADS', '2')))
method, root, out = sys.argv[1], sys.argv[2], sys.argv[3]
t0 = time.perf_counter()
def load(d):
    idx = json.load(open(os.path.join(d, 'model.safetensors.index.json')))
    res = {}
    for f in sorted(set(idx['weight_map'].values())):
        raw = open(os.path.join(d, f), 'rb').read()
        n = struct.unpack('<Q', raw[:8])[0]
        h = json.loads(raw[8:8 + n])
        data = bytearray(raw[8 + n:])
        for k, v in h.items():
            if k == '__metadata__': continue
            b, e = v['data_offsets']
            res[k] = torch.frombuffer(data, dtype=torch.bfloat16, offset=b, count=(e - b) // 2).reshape(v['shape']).float()
    return res
ms = {m: load(os.path.join(root, m)) for m in (['a', 'b'] if method == 'linear' else ['base', 'a', 'b'])}
out_t = {}
for k in ms['a']:
    if method == 'linear':
        r = 0.5 * ms['a'][k] + 0.5 * ms['b'][k]
    else:
        base = ms['base'][k]
        ds = [ms[m][k] - base for m in ('a', 'b')]
        if method == 'ties':
            for i, d in enumerate(ds):
                kk = int(0.5 * d.numel())
                mask = torch.zeros(d.numel())
                mask[torch.topk(d.abs().view(-1), kk).indices] = 1
                ds[i] = d * mask.view(d.shape)
        elif method == 'dare_ties':
            ds = [d * torch.bernoulli(torch.full_like(d, 0.5)) for d in ds]
        w = torch.stack(ds) * 0.5
        if method == 'task_arithmetic':
            r = base + w.sum(0)
        else:
            sign = (w.sum(0) >= 0).float() * 2 - 1
            mask = (w.sign() == sign)
            r = base + (w * mask).sum(0) / (0.5 * mask.sum(0)).clamp(min=1) if method == 'ties' else base + (w * mask).sum(0)
    out_t[k] = r.to(torch.bfloat16)
header, off = {}, 0
for k, v in out_t.items():
    header[k] = {'dtype': 'BF16', 'shape': list(v.shape), 'data_offsets': [off, off + v.numel() * 2]}
    off += v.numel() * 2
hb = json.dumps(header).encode(); hb += b' ' * (-len(hb) % 8)
with open(out, 'wb') as f:
    f.write(struct.pack('<Q', len(hb))); f.write(hb)
    for v in out_t.values(): f.write(v.view(torch.int16).numpy().tobytes())
print(json.dumps({'seconds': time.perf_counter() - t0}))
`;

const EVICT = String.raw`
import os, sys
for p in sys.argv[1:]:
    fd = os.open(p, os.O_RDONLY)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    os.close(fd)
`;

/** Random finite BF16 values in ±[2^-15, 1). */
function bf16Random(n: number): Uint8Array {
  const u = new Uint16Array(n);
  randomFillSync(u);
  for (let i = 0; i < n; i++) { const r = u[i]; u[i] = (r & 0x807f) | ((0x70 + ((r >> 7) & 0xf)) << 7); }
  return new Uint8Array(u.buffer);
}

function shapes(layers: number): [string, number[]][] {
  const s: [string, number[]][] = [['model.embed_tokens.weight', [VOCAB, HIDDEN]], ['lm_head.weight', [VOCAB, HIDDEN]], ['model.norm.weight', [HIDDEN]]];
  for (let l = 0; l < layers; l++) {
    const p = `model.layers.${l}`;
    for (const n of ['q_proj', 'k_proj', 'v_proj', 'o_proj']) s.push([`${p}.self_attn.${n}.weight`, [HIDDEN, HIDDEN]]);
    s.push([`${p}.mlp.gate_proj.weight`, [INTER, HIDDEN]], [`${p}.mlp.up_proj.weight`, [INTER, HIDDEN]], [`${p}.mlp.down_proj.weight`, [HIDDEN, INTER]]);
    s.push([`${p}.input_layernorm.weight`, [HIDDEN]], [`${p}.post_attention_layernorm.weight`, [HIDDEN]]);
  }
  return s;
}

async function makeModel(dir: string, layers: number): Promise<number> {
  const sh = shapes(layers);
  const infos = sh.map(([name, shape]) => ({ name, dtype: 'BF16' as const, shape }));
  const total = sh.reduce((s, [, shape]) => s + shape.reduce((a, b) => a * b, 1) * 2, 0);
  const w = await ShardedWriter.create(dir, infos, { shardBytes: Math.ceil(total / 2) + 1 });
  for (const [name, shape] of sh) await w.writeBytes(name, bf16Random(shape.reduce((a, b) => a * b, 1)));
  await w.addFile('config.json', JSON.stringify({ model_type: 'llama', hidden_size: HIDDEN, num_hidden_layers: layers, torch_dtype: 'bfloat16' }));
  await w.commit();
  return total;
}

const modelFiles = (root: string) => ['base', 'a', 'b'].flatMap((m) => fs.readdirSync(path.join(root, m)).filter((f) => f.endsWith('.safetensors')).map((f) => path.join(root, m, f)));
const evict = (files: string[]) => spawnSync(PYTHON, ['-c', EVICT, ...files]).status === 0;

/** cpu_seconds: the child's user + system CPU time (less sensitive than wall time to a shared machine). */
interface Row { method: string; engine: string; cache: 'warm' | 'cold'; seconds: number; gb: number; gb_per_s: number; peak_rss_mib?: number; native_tensors?: number; cpu_seconds?: number }

/** One ctlkit merge in a child process (fresh RSS): this file with --one. */
function runChild(method: string, root: string, out: string): { seconds: number; bytes: number; rss: number; native: number; cpu: number } {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--one', method, root, out], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`merge ${method}: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

async function one(method: string, root: string, out: string): Promise<void> {
  const r = await merge(CONFIGS[method], { out, baseDir: root, seed: 1 });
  const u = process.resourceUsage();
  console.log(JSON.stringify({ seconds: r.seconds, bytes: r.bytesRead + r.bytesWritten, rss: u.maxRSS * 1024, native: r.native, cpu: (u.userCPUTime + u.systemCPUTime) / 1e6 }));
}

function diskRead(files: string[]): number {
  evict(files);
  const t0 = performance.now();
  let bytes = 0;
  const buf = Buffer.alloc(64 << 20);
  for (const f of files) {
    const fd = fs.openSync(f, 'r');
    let n: number;
    while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) bytes += n;
    fs.closeSync(fd);
  }
  return bytes / 1e9 / ((performance.now() - t0) / 1000);
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === '--one') return one(argv[1], argv[2], argv[3]);
  if (argv[0] === '--make-models') { // models kept for later runs with --models DIR
    for (const m of ['base', 'a', 'b']) await makeModel(path.join(argv[1], m), Number(argv[2] ?? 7));
    return;
  }
  const arg = (k: string, d: string) => { const i = argv.indexOf(k); return i >= 0 ? argv[i + 1] : d; };
  const layers = Number(arg('--layers', '7'));
  const methods = arg('--methods', 'linear,task_arithmetic,ties,dare_ties').split(',');
  const reuse = argv.includes('--models') ? arg('--models', '') : undefined; // models of an earlier run, kept
  const root = reuse ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ctlkit-merge-bench-'));
  const rows: Row[] = [];
  try {
    let modelBytes = 0;
    if (reuse) modelBytes = fs.readdirSync(path.join(root, 'a')).filter((f) => f.endsWith('.safetensors')).reduce((s, f) => s + fs.statSync(path.join(root, 'a', f)).size, 0);
    else for (const m of ['base', 'a', 'b']) modelBytes = await makeModel(path.join(root, m), layers);
    console.error(`bench: 3 models of ${(modelBytes / 1e9).toFixed(2)} GB (BF16, ${layers} layers, 2 shards) in ${root}`);
    const files = modelFiles(root);
    const caches: ('warm' | 'cold')[] = argv.includes('--no-cold') ? ['warm'] : ['warm', 'cold'];
    for (const cache of caches) {
      for (const method of methods) {
        const out = path.join(root, `out-${method}`);
        if (cache === 'cold') evict(files);
        else runChild(method, root, out), fs.rmSync(out, { recursive: true }); // warm the page cache
        const r = runChild(method, root, out);
        fs.rmSync(out, { recursive: true });
        rows.push({ method, engine: 'ctlkit', cache, seconds: r.seconds, gb: r.bytes / 1e9, gb_per_s: r.bytes / 1e9 / r.seconds, peak_rss_mib: Math.round(r.rss / 2 ** 20), native_tensors: r.native, cpu_seconds: +r.cpu.toFixed(2) });
        console.error(`bench: ${method} ctlkit ${cache}: ${r.seconds.toFixed(2)} s (cpu ${r.cpu.toFixed(2)} s), ${(r.bytes / 1e9 / r.seconds).toFixed(2)} GB/s, peak RSS ${Math.round(r.rss / 2 ** 20)} MiB`);
        if (!argv.includes('--no-torch') && cache === 'warm' && TORCH_METHODS.has(method)) {
          const t = spawnSync(PYTHON, ['-c', TORCH_SCRIPT, method, root, path.join(root, 'torch-out.safetensors')], { encoding: 'utf8', env: torchEnv() });
          if (t.status !== 0) { console.error(`bench: torch ${method} failed: ${t.stderr.trim().split('\n').pop()}`); continue; }
          const secs = JSON.parse(t.stdout.trim().split('\n').pop()!).seconds as number;
          const bytes = r.bytes;
          fs.rmSync(path.join(root, 'torch-out.safetensors'));
          rows.push({ method, engine: 'pytorch-naive', cache, seconds: secs, gb: bytes / 1e9, gb_per_s: bytes / 1e9 / secs });
          console.error(`bench: ${method} pytorch ${cache}: ${secs.toFixed(2)} s, ${(bytes / 1e9 / secs).toFixed(2)} GB/s (ctlkit ${(secs / r.seconds).toFixed(1)}x)`);
        }
      }
    }
    const disk = caches.includes('cold') ? diskRead(files) : undefined;
    const result = {
      bench: 'merge', date: new Date().toISOString(), cpu: os.cpus()[0]?.model, cores: os.availableParallelism(), node: process.version,
      models: { count: 3, gb_each: +(modelBytes / 1e9).toFixed(3), dtype: 'BF16', layers, shards: 2 },
      disk_read_gb_per_s: disk && +disk.toFixed(2), rows,
    };
    const outFile = arg('--out', 'merge-bench.json');
    fs.writeFileSync(outFile, JSON.stringify(result, null, 2) + '\n');
    console.log(JSON.stringify(result, null, 2));
  } finally {
    if (!reuse) fs.rmSync(root, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).catch((e: Error) => {
  console.error(`merge bench: ${e.message}`);
  process.exit(1);
});
