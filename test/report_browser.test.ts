// The report as a person sees it: rendered by headless Chromium, every plot is laid out with a
// nonzero size and the screenshot is not blank. Skips (with a printed line) only when Chromium is
// absent and CI is unset.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { renderReport } from '../src/report/index.js';
import { fakeComparison } from './harness/sweep_results.js';
import { colourCount, decodePng, inkFraction } from './harness/png.js';

function findChromium(): string | null {
  for (const name of [process.env.CHROMIUM, 'chromium', 'chromium-browser', 'google-chrome'].filter(Boolean) as string[]) {
    if (spawnSync(name, ['--version'], { encoding: 'utf8' }).status === 0) return name;
  }
  return null;
}

/** Runs headless Chromium with its own throw-away profile; returns stdout. */
function chromium(bin: string, dir: string, args: string[]): string {
  const r = spawnSync(bin, ['--headless', '--no-sandbox', '--disable-gpu', `--user-data-dir=${path.join(dir, 'profile')}`, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`chromium exited with ${r.status}: ${r.stderr.slice(-500)}`);
  return r.stdout;
}

const bin = findChromium();
const layers = ['conv1', 'layer1.0', 'layer2.0', 'fc'];
const alphas = [0, 0.25, 0.5, 0.75, 1];

if (!bin && !process.env.CI) {
  console.log('report_browser: chromium not found and CI unset: skipped (install Debian\'s chromium to run it)');
} else {
  let dir = '';
  let report = '';
  test.before(async () => {
    assert.ok(bin, 'chromium must be installed when CI is set');
    dir = await mkdtemp(path.join(os.tmpdir(), 'ctl-browser-'));
    const entries = fakeComparison(layers, alphas);
    report = await renderReport(entries, dir, { title: 'browser test' });
  });
  test.after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('every plot is laid out with a nonzero size (layout measured in the page)', async () => {
    // a copy of the page with a probe script (the report itself has none)
    const probe = path.join(dir, 'probe.html');
    const script = `<script>const p=document.createElement('pre');p.id='pro'+'be';p.textContent=JSON.stringify([...document.querySelectorAll('figure > svg')].map(s=>{const r=s.getBoundingClientRect();return {w:r.width,h:r.height,marks:s.querySelectorAll('[role=graphics-symbol]').length}}));document.body.appendChild(p)</script>`;
    await writeFile(probe, (await readFile(report, 'utf8')).replace('</body>', `${script}</body>`));
    const dom = chromium(bin as string, dir, ['--dump-dom', pathToFileURL(probe).href]);
    const m = dom.match(/<pre id="probe">(.*?)<\/pre>/s);
    assert.ok(m, 'probe output in the dumped DOM');
    const figs = JSON.parse((m as RegExpMatchArray)[1]) as { w: number; h: number; marks: number }[];
    assert.is(figs.length, 1 + 2 * 3, 'comparison + heatmap, loss/error, coefficients per result');
    for (const f of figs) {
      assert.ok(f.w > 150 && f.h > 100, `figure size ${f.w}×${f.h}`);
      assert.ok(f.marks > 0, 'figure has drawn marks');
    }
  });

  test('the screenshot is not blank, unlike a blank page', async () => {
    const shot = path.join(dir, 'report.png');
    chromium(bin as string, dir, [`--screenshot=${shot}`, '--window-size=1200,2000', pathToFileURL(report).href]);
    const img = decodePng(await readFile(shot));
    assert.is(img.width, 1200);
    const ink = inkFraction(img);
    const colours = colourCount(img);
    assert.ok(ink > 0.03, `ink fraction ${ink}`);
    assert.ok(colours > 100, `distinct colours ${colours}`);

    const blank = path.join(dir, 'blank.html');
    await writeFile(blank, '<!DOCTYPE html><html><body></body></html>');
    const blankShot = path.join(dir, 'blank.png');
    chromium(bin as string, dir, [`--screenshot=${blankShot}`, '--window-size=1200,2000', pathToFileURL(blank).href]);
    const blankImg = decodePng(await readFile(blankShot));
    assert.ok(inkFraction(blankImg) < 0.001, 'a blank page decodes as blank');
  });

  test.run();
}
