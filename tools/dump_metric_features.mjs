// Writes, per fixture family and metric case (test/harness/metric_cases.ts), the reference
// backend's features at every hook of the sweep (basis models and the rows with features of their
// own, float32 [N, D]) and the plan, for tools/metric_goldens.py to recompute every metric of the
// released code from. Run by hand after `npx tsc -p .`:
//   node tools/dump_metric_features.mjs /tmp/metric_features && /usr/bin/python3 tools/metric_goldens.py /tmp/metric_features
import fs from 'node:fs';
import path from 'node:path';
import { createReferenceBackend } from '../dist/src/backends/reference/index.js';
import { prepare } from '../dist/src/sweep/prepare.js';
import { runSchedule } from '../dist/src/sweep/schedule.js';
import { resolveLayers } from '../dist/src/sweep/validate.js';
import { closeAll } from '../dist/src/io/checkpoint_set.js';
import { writeSafetensors } from '../dist/src/io/writer.js';
import { fixture } from '../dist/test/harness/paths.js';
import { METRIC_CASES, metricCaseInputs, metricCaseMatrix } from '../dist/test/harness/metric_cases.js';

const outDir = process.argv[2];
if (!outDir) throw new Error('usage: node tools/dump_metric_features.mjs <out dir>');
const families = fs.readdirSync(fixture('sweeps'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
const be = await createReferenceBackend();
const vec = (v) => Array.from(v);
for (const family of families) {
  for (const c of METRIC_CASES) {
    const matrix = metricCaseMatrix(family, c);
    const prep = await prepare(matrix.basis, { inputs: metricCaseInputs(family) });
    const layers = resolveLayers(prep.model, undefined);
    const n = prep.inputs.shape[0];
    const feats = new Map(); // name → { parts: Float32Array[], d }
    const lanes = {};
    const push = (name, x, d) => {
      if (!feats.has(name)) feats.set(name, { parts: [], d });
      feats.get(name).parts.push(x);
    };
    try {
      await runSchedule(
        { model: prep.model, checkpoints: prep.checkpoints, matrix, inputs: prep.inputs, layers },
        {
          backend: be,
          batch: 3,
          onHook: async (hook, start, fb, fr) => {
            const d = fb[0].shape.slice(1).reduce((a, b) => a * b, 1);
            for (let j = 0; j < fb.length; j++) push(`${hook}.b${j}`, await be.read(fb[j]), d);
            const own = [];
            lanes[hook] = fr.map((t) => {
              const j = fb.indexOf(t);
              if (j >= 0) return `b${j}`;
              if (!own.includes(t)) own.push(t);
              return `r${own.indexOf(t)}`;
            });
            for (let r = 0; r < own.length; r++) push(`${hook}.r${r}`, await be.read(own[r]), d);
          },
        },
      );
    } finally {
      await closeAll(prep.checkpoints);
    }
    const tensors = {};
    for (const [name, { parts, d }] of feats) {
      const data = new Float32Array(n * d);
      let o = 0;
      for (const p of parts) (data.set(p, o), (o += p.length));
      tensors[name] = { dtype: 'float32', shape: [n, d], data };
    }
    const dir = path.join(outDir, family);
    fs.mkdirSync(dir, { recursive: true });
    await writeSafetensors(path.join(dir, `${c}.features.safetensors`), tensors);
    const plan = matrix.plan;
    const spec = {
      family, case: c, samples: n, layers, lanes,
      coefficients: Array.from({ length: matrix.k }, (_, k) => vec(matrix.data.subarray(k * matrix.m, (k + 1) * matrix.m))),
      rows: plan.rows.map((r) => ({ tag: r.tag, fields: r.fields, against: r.against === 'own' ? 'own' : vec(r.against) })),
      basis: plan.basis.map((b) => ({ tag: b.tag, fields: b.fields, left: vec(b.left), right: vec(b.right) })),
    };
    fs.writeFileSync(path.join(dir, `${c}.spec.json`), JSON.stringify(spec, null, 1));
    console.log(`${family} ${c}: ${layers.length} layers, ${feats.size} feature tensors, ${Object.values(tensors).reduce((s, t) => s + t.data.length * 4, 0)} bytes`);
  }
}
await be.dispose();
