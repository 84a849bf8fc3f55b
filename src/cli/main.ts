#!/usr/bin/env node
// The ctlkit command line. Each command lives in its own file and registers itself here.
// Errors print one line, `ctlkit: <message>`, and exit 1; `--verbose` adds the stack.
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { register as registerInspect } from './inspect.js';
import { register as registerFeatures } from './features.js';
import { register as registerSweep } from './sweep.js';
import { register as registerReduce } from './reduce.js';
import { register as registerMerge } from './merge.js';
import { register as registerReport } from './report.js';
import { register as registerDemo } from './demo.js';
import { register as registerConvert } from './convert.js';

// a closed pipe (`ctlkit --help | head`) ends the command quietly, as other Unix tools do
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command()
  .name('ctlkit')
  .description('Cross-Task Linearity measurement and fast weight merging')
  .version(pkg.version)
  .option('--verbose', 'print the full stack trace on errors')
  .exitOverride()
  .configureOutput({ outputError: (str, write) => write(`ctlkit: ${str.replace(/^error: /, '')}`) })
  .addHelpText('after', '\nExamples:\n  ctlkit inspect runs/ft_a/model.safetensors\n  ctlkit features --model runs/ft_a --inputs val.safetensors --out feats.safetensors\n  ctlkit <command> --help');

registerInspect(program);
registerFeatures(program);
registerSweep(program);
registerReduce(program);
registerMerge(program);
registerReport(program);
registerDemo(program);
registerConvert(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    process.exitCode = e.exitCode; // commander has already printed its message or the help
  } else {
    const err = e instanceof Error ? e : new Error(String(e));
    const verbose = Boolean(program.opts().verbose) || process.argv.includes('--verbose');
    process.stderr.write(`ctlkit: ${err.message}\n${verbose && err.stack ? `${err.stack}\n` : ''}`);
    process.exitCode = 1;
  }
}
