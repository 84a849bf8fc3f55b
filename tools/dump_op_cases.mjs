// Writes every backend-ops case (inputs, the op call, the reference backend's outputs) to a JSON
// file, for tools/ops_vs_torch.py to recompute with PyTorch. Run by hand after `npx tsc -p .`:
//   node tools/dump_op_cases.mjs /tmp/op_cases.json && /usr/bin/python3 tools/ops_vs_torch.py /tmp/op_cases.json
import fs from 'node:fs';
import { createReferenceBackend } from '../dist/src/backends/reference/index.js';
import { cases, makeInputs, uploadInputs } from '../dist/test/harness/cases.js';
import { readOutputs } from '../dist/test/harness/compare.js';

const outPath = process.argv[2];
if (!outPath) throw new Error('usage: node tools/dump_op_cases.mjs <out.json>');
const reference = await createReferenceBackend();
const device = new Set(['upload', 'read', 'reshape', 'release', 'flush', 'dispose', 'supports']);
// JSON has no NaN/Infinity: write them as strings Python's float() reads
const num = (x) => (Number.isFinite(x) ? x : String(x).replace('Infinity', 'inf'));

const dumped = [];
for (const c of cases) {
  const hosts = makeInputs(c);
  const inputs = uploadInputs(reference, hosts);
  const encode = (a) => {
    if (inputs.includes(a)) return { input: inputs.indexOf(a) };
    if (Array.isArray(a)) return a.map(encode);
    if (a instanceof Float64Array) return { f64: Array.from(a) };
    if (a !== null && typeof a === 'object') return Object.fromEntries(Object.entries(a).map(([k, v]) => [k, encode(v)]));
    return a;
  };
  let call = null;
  // records the op call (tensor arguments as input indices) while the reference runs it
  const recorder = new Proxy(reference, {
    get(target, prop) {
      const v = target[prop];
      if (typeof v !== 'function' || device.has(prop)) return typeof v === 'function' ? v.bind(target) : v;
      return (...args) => {
        call = { method: prop, args: args.map(encode) };
        return v.apply(target, args);
      };
    },
  });
  const outputs = await readOutputs(reference, await c.run(recorder, inputs));
  dumped.push({
    vars: c.vars(), tol: c.tol.nmse, call,
    inputs: hosts.map((h) => ({ shape: h.shape, int: h.data instanceof Int32Array, data: Array.from(h.data, num) })),
    outputs: outputs.map((o) => ({ name: o.name, shape: o.shape, data: Array.from(o.data, num) })),
  });
}
fs.writeFileSync(outPath, JSON.stringify(dumped));
console.log(`${dumped.length} cases written to ${outPath}`);
