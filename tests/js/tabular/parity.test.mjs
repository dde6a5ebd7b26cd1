// The browser's tabular trainer (static/js/tabular/notmiwae.js, rng.js) against dgm_core on the same initial weights,
// batches and noise: server.own_table_job writes, per missing model, the job as a browser gets it and what
// dgm_core's replay gives after 50 Adam steps drawn from SplitMix(seed); this test trains the module under
// TensorFlow.js's CPU backend (npm @tensorflow/tfjs, the vendored version) and holds every step's loss and every final
// weight to 1e-4. PYTHON names the interpreter (default: the repository's .venv).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { seeded } from '../../../static/js/tabular/rng.js';
import { trainer, impute } from '../../../static/js/tabular/notmiwae.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TOL = 1e-4;
const python = process.env.PYTHON || (existsSync(join(ROOT, '.venv/bin/python')) ? join(ROOT, '.venv/bin/python') : 'python3');
const dir = mkdtempSync(join(tmpdir(), 'tabular-parity-'));
const methods = execFileSync(python, ['-m', 'server.own_table_job', dir], { cwd: ROOT, encoding: 'utf8' }).trim().split(' ');
const read = (name) => JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8'));
const f32 = (v) => { const b = Buffer.from(v.f32, 'base64'); return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4); };
const u8 = (v) => Float32Array.from(Buffer.from(v.u8, 'base64'));

await tf.setBackend('cpu');
// kit/tf_kit.js (the Adam the trainer imports) opens a MessageChannel for its workers' pauses, and in Node an open
// port keeps the process alive: once every test has reported, end it (with the runner's exit code)
after(() => setTimeout(() => process.exit(), 500).unref());

test('the generator draws dgm_core.xoshiro\'s numbers', () => {
  const want = read('rng'); const g = seeded(want.seed);
  assert.deepEqual(Array.from(g.uniform(5)), want.uniform);
  const normal = g.normal(7);
  want.normal.forEach((v, i) => assert.ok(Math.abs(normal[i] - v) < 1e-6, `normal ${i}: ${normal[i]} vs ${v}`));
  assert.deepEqual(Array.from(g.uniform64(5)), want.uniform64);
  assert.deepEqual(Array.from(g.rows(37, 9)), want.rows);
});

function worst(a, b) {
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i] - b[i]));
  return w;
}

for (const method of methods) {
  test(`${method}: 50 steps in TensorFlow.js = dgm_core (losses and weights within ${TOL})`, () => {
    const job = read(method); const [m] = job.models;
    const weights = Object.fromEntries(Object.entries(m.weights).map(([k, v]) => [k, f32(v)]));
    const x = f32(job.x); const mask = u8(job.mask);
    const t = trainer(tf, m.cfg, weights, x, mask, job.N, seeded(job.seed));
    const losses = Array.from({ length: job.steps }, () => t.step());
    const dl = worst(losses, job.losses);
    assert.ok(dl < TOL, `${method}: a step's loss differs by ${dl.toExponential(2)}`);
    for (const [name, want] of Object.entries(job.after)) {
      const dw = worst(t.weights[name], want);
      assert.ok(dw < TOL, `${method}: ${name} differs by ${dw.toExponential(2)} after ${job.steps} steps`);
    }
    // and the imputation it answers: observed cells untouched, holes filled with finite values
    const { mean, draws } = impute(tf, m.cfg, t.weights, x, mask, job.N, 20, 3, seeded(1));
    for (let i = 0; i < x.length; i++) {
      if (mask[i]) assert.equal(mean[i], x[i]);
      assert.ok(Number.isFinite(mean[i]) && Number.isFinite(draws[i]) && Number.isFinite(draws[2 * x.length + i]));
    }
  });
}
