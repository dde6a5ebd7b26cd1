// The inpainting page's browser maths (static/js/inpaint.js and the modules it imports) against dgm_core, without a
// browser: dgm_core writes each case (tests/js/fixtures.py: the job, with the draws its seeded generator made, and its
// own outputs); here the same job runs under Node, its networks in onnxruntime-node (the same ONNX files, fetched from
// a small HTTP server of static/ as a browser fetches them), and the outputs must agree within 1e-4. The exact sampler
// (MWG) is held to dgm_core's Metropolis decisions up to dgm_core's first near-tie only (a decision whose margin
// |log u − log α| is within the rounding of log α, which another runtime may rightly decide the other way), as the
// chromium test does (tests/e2e/test_browser_inpaint.py: assert_same_chain).
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
  for (const c of cases.filter((x) => x.method !== 'mwg')) {
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

// The exact sampler's chain is dgm_core's: with no near-tie, every decision and the continuous outputs; after one, what
// it cannot change (the decisions and log p(x, z) before it, the step sizes tuned before it, the observed pixels).
function sameChain(t, got, want, observed, image) {
  const n = want.accepted.length;
  assert.equal(got.accepted.length, n, `${got.accepted.length} decisions, dgm_core made ${n}`);
  const tie = want.first_tie;
  const upTo = tie === null ? n : tie;
  for (let i = 0; i < upTo; i++) {
    assert.equal(got.accepted[i], want.accepted[i], `decision ${i} differs (browser ${got.accepted[i]}, dgm_core ` +
      `${want.accepted[i]}) where |log u − log α| = ${want.margin[i].toPrecision(3)} clears its rounding ` +
      `${want.bound[i].toPrecision(3)}; ${want.ties}`);
  }
  const scale = Math.max(...want.log_joint.map(Math.abs));
  const tol = want.tol;
  if (tie === null) {
    close('mean', got.mean, want.mean, tol);
    close('spread', got.std, want.std, tol);
    close('draws', got.samples, want.samples, tol);
    close('score per step', got.trace, want.trace, tol);
    close('log p(x, z) per step', got.log_joint, want.log_joint, tol * scale);
    if (want.step_size) close('HMC step sizes', got.step_size, want.step_size, tol);
    close('snapshots', got.snapshot_mean.flatMap((v) => Array.from(v)), want.snapshot_mean, tol);
    for (const key of ['F1', 'MSE']) {
      if (key in want.scores) close(key, [got.scores[key]], [want.scores[key]], tol);
    }
    return;
  }
  const before = tie - (tie % want.chains);  // the decisions of the steps before the near-tie's
  t.diagnostic(`${want.ties}: compared the decisions and log p(x, z) before it only`);
  close('log p(x, z) before the near-tie', got.log_joint.slice(0, before), want.log_joint.slice(0, before), tol * scale);
  if (want.step_size && before >= want.burn_in * want.chains) {
    close('HMC step sizes, tuned before the near-tie', got.step_size, want.step_size, tol);
  }
  const D = image.length;
  for (const [name, v] of [['mean', got.mean], ['draws', got.samples]]) {
    for (let i = 0; i < v.length; i++) {
      assert.ok(Number.isFinite(v[i]) && v[i] >= 0 && v[i] <= 1, `${name}[${i}] = ${v[i]} outside [0, 1]`);
      if (observed[i % D]) assert.equal(v[i], image[i % D], `the browser's ${name} changed observed pixel ${i % D}`);
    }
  }
}

test('the exact sampler of the browser makes dgm_core\'s decisions up to its first near-tie', async (t) => {
  const mwg = cases.filter((x) => x.method === 'mwg');
  assert.deepEqual(new Set(mwg.map((c) => c.msg.settings.kernel)), new Set(['hmc', 'encoder', 'mix', 'pcn']));
  for (const c of mwg) {
    await t.test(c.name, async (st) => {
      const out = await job(c.msg);
      assert.equal(out.end?.type, 'done', JSON.stringify(out.end));
      const [got] = out.results;
      const [C, H, W] = c.msg.shape;
      const observed = Array.from({ length: C * H * W }, (_, i) => c.msg.mask[i % (H * W)]);
      sameChain(st, got, c.want, observed, c.msg.image);
      if (c.msg.settings.kernel !== 'encoder') {  // real Metropolis decisions, both ways
        const yes = got.accepted.reduce((a, b) => a + b, 0);
        assert.ok(yes > 0 && yes < got.accepted.length, `${yes} of ${got.accepted.length} moves accepted`);
      }
    });
  }
});

test('draws out of order are an error, not a result', async () => {
  const c = cases.find((x) => x.method === 'pseudo_gibbs');
  const draws = { pseudo_gibbs: c.msg.draws.pseudo_gibbs.slice(1) };
  await assert.rejects(job({ ...c.msg, draws }), /draw 1 should be/);
});
