// Child process for test/sweep_memory.test.ts: runs one interpolation sweep (3 rows, 2 basis models)
// on the reference backend and prints {"peak_rss_bytes": …, "elapsed_seconds": …} on stdout.
// Usage: node --expose-gc rss_probe.js <A.safetensors> <B.safetensors> <inputs.safetensors> <batch>
// A full GC after every chunk and a young-generation GC after every stage make the peak RSS measure what the
// sweep keeps alive, not how late V8 collects released buffers.
import { createBackend } from '../../src/backends/index.js';
import { interpolation } from '../../src/sweep/coefficients.js';
import { runSweep } from '../../src/sweep/runner.js';

const gc = (globalThis as { gc?: (o?: { type: 'major' | 'minor' }) => void }).gc;

const [a, b, inputs, batch] = process.argv.slice(2);
const backend = await createBackend('reference');
const r = await runSweep({ matrix: interpolation(a, b, [0, 0.5, 1]), inputs, config: { architecture: 'mlp' } }, { backend, batch: Number(batch), onProgress: (p) => p.row === undefined && gc?.({ type: p.layer === undefined ? 'major' : 'minor' }) });
await backend.dispose();
process.stdout.write(JSON.stringify({ peak_rss_bytes: r.peak_rss_bytes, elapsed_seconds: r.elapsed_seconds, layers: r.layers.length, samples: r.samples }) + '\n');
