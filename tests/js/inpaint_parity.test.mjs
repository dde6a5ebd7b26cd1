// The inpainting page's browser maths (static/js/inpaint.js and the modules it imports) against dgm_core, without a
// browser: dgm_core writes each case (tests/js/fixtures.py: the job, with the draws its seeded generator made, and its
// own outputs); here the same job runs under Node, its networks in onnxruntime-node (the same ONNX files, fetched from
// a small HTTP server of static/ as a browser fetches them), and the outputs must agree within 1e-4.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, normalize, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import * as ortNode from 'onnxruntime-node';

import { use } from '../../static/js/kit/ort.js';
import { run } from '../../static/js/inpaint.js';

const ROOT = resolve(import.meta.dirname, '../..');
const PYTHON = process.env.PYTHON || join(ROOT, '.venv/bin/python');
const TOL = 1e-4;

let server; let base; let cases; let folder;

before(async () => {
  folder = mkdtempSync(join(tmpdir(), 'dgm-js-'));
  execFileSync(PYTHON, ['-m', 'tests.js.fixtures', folder], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  cases = JSON.parse(readFileSync(join(folder, 'inpaint.json'), 'utf8'));
  server = createServer((req, res) => {  // /app/static/<path> -> static/<path>, as the app serves it
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
    const file = join(ROOT, 'static', path.replace(/^\/app\/static\//, ''));
    if (!path.startsWith('/app/static/') || !file.startsWith(join(ROOT, 'static')) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200).end(readFileSync(file));
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${server.address().port}/`;
  use(ortNode);
});

after(() => {
  server?.close();
  if (folder) rmSync(folder, { recursive: true, force: true });
});

function close(name, got, want, tol = TOL) {
  assert.equal(got.length, want.length, `${name}: ${got.length} values, dgm_core has ${want.length}`);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  assert.ok(worst <= tol, `${name}: the browser's maths differ from dgm_core by ${worst} (> ${tol})`);
}

// one job through inpaint.js, its messages collected as the panel collects them
async function job(msg) {
  const out = { results: [], end: null };
  await run({ ...msg, base }, (m) => {
    if (m.type === 'result') out.results.push(m.result);
    else if (m.type === 'done' || m.type === 'error') out.end = m;
  });
  return out;
}

test('every inpainting method of the browser gives dgm_core\'s outputs from dgm_core\'s draws', async (t) => {
  assert.ok(cases.length >= 7, 'the fixtures hold every method');
  for (const c of cases) {
    await t.test(c.name, async () => {
      const out = await job(c.msg);
      assert.equal(out.end?.type, 'done', JSON.stringify(out.end));
      const [got] = out.results;
      close('mean', got.mean, c.want.mean);
      close('spread', got.std, c.want.std);
      close('draws', got.samples, c.want.samples);
      if (c.want.trace) close('score per step', got.trace, c.want.trace);
      for (const key of ['F1', 'MSE']) {
        if (key in c.want.scores) close(key, [got.scores[key]], [c.want.scores[key]]);
      }
    });
  }
});

test('draws out of order are an error, not a result', async () => {
  const c = cases.find((x) => x.method === 'pseudo_gibbs');
  const draws = { pseudo_gibbs: c.msg.draws.pseudo_gibbs.slice(1) };
  await assert.rejects(job({ ...c.msg, draws }), /draw 1 should be/);
});
