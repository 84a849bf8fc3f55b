// ctlkit demo: the paper's claims on the bundled, really trained checkpoints (examples/): CTL per
// layer for finetuned vs control pairs, loss/error barriers, task arithmetic, averaging, and the
// pretraining series. Tables to the terminal; results JSON per sweep, one CSV and index.html to --out.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Option, type Command } from 'commander';
import type { Backend } from '../backends/backend.js';
import { createBackend, type BackendChoice } from '../backends/index.js';
import { writeFileAtomic } from '../io/atomic.js';
import { DEMO_ARCHS, defaultExamplesDir, demoPlan, loadDemoData, type Experiment } from '../demo/plan.js';
import { archTables, type ArchResults } from '../demo/tables.js';
import { renderReport, type ReportEntry } from '../report/index.js';
import { parseGrid } from '../sweep/coefficients.js';
import { runSweep } from '../sweep/runner.js';
import type { SweepResults } from '../sweep/types.js';
import { Progress } from './progress.js';
import { resultsToCsv } from '../sweep/csv.js';
import { parseIntArg, parseList, writeJsonAtomic } from './util.js';

interface DemoArgs {
  examples: string;
  out: string;
  arch: string;
  samples: string;
  alphas: string;
  lambdas: string;
  backend: string;
  batch: string;
}

const INTRO = [
  'Checkpoints trained by tools/train_examples.py on scikit-learn\'s handwritten digits (16×16): pretrained on upright digits, finetuned on task A (rotated 90°) and task B (rotated 180°); the control pair is trained on A and B from one shared random initialisation without pretraining. See examples/PROVENANCE.md.',
  'dist_alpha_int = 1 − |⟨F, G⟩| / (‖F‖‖G‖) between the features F of the combined weights and the same combination G of the features; small values mean Cross-Task Linearity holds at that layer. dist_A_B is the same distance between the two end models (the scale to compare against).',
];

/** Results with model paths relative to the working directory (portable JSON). */
function portable(r: SweepResults): SweepResults {
  return { ...r, models: r.models.map((m) => path.relative(process.cwd(), m) || m) };
}

async function runDemo(a: DemoArgs): Promise<void> {
  const t0 = performance.now();
  const archs = parseList(a.arch, '--arch');
  for (const arch of archs) {
    if (!(DEMO_ARCHS as readonly string[]).includes(arch)) throw new Error(`--arch: unknown '${arch}', expected some of ${DEMO_ARCHS.join(', ')}`);
    if (!existsSync(path.join(a.examples, arch, 'config.json'))) {
      throw new Error(`${path.join(a.examples, arch)}: no bundled checkpoints (expected config.json there; see tools/train_examples.py)`);
    }
  }
  const samples = parseIntArg(a.samples, '--samples', 2);
  const batch = parseIntArg(a.batch, '--batch', 2);
  const grids = { alphas: parseGrid(a.alphas, '--alphas'), lambdas: parseGrid(a.lambdas, '--lambdas') };
  const plans = archs.map((arch) => demoPlan(a.examples, arch, grids));
  const total = plans.reduce((s, p) => s + p.length, 0);
  const backend = await createBackend(a.backend as BackendChoice);
  const entries: ReportEntry[] = [];
  const csv: string[] = [];
  await mkdir(a.out, { recursive: true });
  try {
    console.log(`ctlkit demo: ${total} sweeps over ${archs.join(', ')}, ${samples} held-out samples each, backend ${backend.name}\n`);
    const progress = new Progress(total);
    let index = 0;
    for (const plan of plans) {
      const arch = plan[0].arch;
      const data = await loadDemoData(a.examples, arch, samples);
      const results: ArchResults = {};
      for (const exp of plan) {
        const i = index++;
        progress.start(i, exp.id);
        const r = portable(await runExperiment(exp, data, path.join(a.examples, arch, 'config.json'), backend, batch, (f) => progress.update(i, f, exp.id)));
        results[exp.kind] = r;
        entries.push({ label: exp.label, short: exp.short, results: r });
        await writeJsonAtomic(path.join(a.out, `${exp.id}.json`), r);
        const lines = resultsToCsv(r).trimEnd().split('\n');
        if (csv.length === 0) csv.push(`experiment,${lines[0]}`);
        csv.push(...lines.slice(1).map((l) => `${exp.id},${l}`));
      }
      progress.done();
      console.log(archTables(arch, results));
    }
    await writeFileAtomic(path.join(a.out, 'results.csv'), csv.join('\n') + '\n');
    const html = await renderReport(entries, a.out, { title: 'ctlkit demo: Cross-Task Linearity on trained checkpoints', intro: INTRO });
    console.log(`wrote ${total} results JSON, ${path.join(a.out, 'results.csv')} and ${html} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    await backend.dispose();
  }
}

async function runExperiment(
  exp: Experiment,
  data: Awaited<ReturnType<typeof loadDemoData>>,
  config: string,
  backend: Backend,
  batch: number,
  onFraction: (f: number) => void,
): Promise<SweepResults> {
  const d = data[exp.data];
  return runSweep(
    { matrix: exp.matrix, inputs: d.inputs, labels: d.labels, config },
    {
      backend,
      batch,
      onProgress: (p) => onFraction(p.samplesTotal > 0 ? p.samplesDone / p.samplesTotal : 0),
    },
  );
}

export function register(program: Command): void {
  program
    .command('demo')
    .description("reproduce the paper's claims on the bundled trained checkpoints (tables, results JSON, CSV, HTML report)")
    .addOption(new Option('--examples <dir>', 'bundled checkpoints').default(defaultExamplesDir, "the package's examples/"))
    .option('--out <dir>', 'output folder', 'ctl-report')
    .option('--arch <list>', `architectures (${DEMO_ARCHS.join(',')})`, DEMO_ARCHS.join(','))
    .option('--samples <n>', 'held-out samples per sweep (half task A, half task B where both)', '128')
    .option('--alphas <grid>', 'interpolation grid', '0:1:5')
    .option('--lambdas <grid>', 'task arithmetic / negation grid', '0:1:5')
    .option('--backend <name>', 'reference | native | webgpu | auto', 'auto')
    .option('--batch <n>', 'samples per chunk', '64')
    .addHelpText('after', '\nExample:\n  ctlkit demo --arch mlp,resnet --out ctl-report   # then open ctl-report/index.html')
    .action(runDemo);
}
