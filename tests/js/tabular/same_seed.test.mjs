// The same seed, the same numbers on either side: a small table's MIWAE and not-MIWAE trained and imputed by the
// browser's fill.js (TensorFlow.js's CPU backend here, the worker's code) and by the server's own ordinary run
// (dgm_core.own_table.complete: the browser's generator, SplitMix, wherever a browser could train the table), from the
// same seed: every fill within TOL standardised units (an sd of its column) after the whole 'tiny' training, 300 steps.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { fill } from '../../../static/js/tabular/fill.js';
import { typedDeep } from '../../../static/js/tabular/wire.js';
import { pythonFixtures } from '../python_fixtures.mjs';

const TOL = 1e-3;

await tf.setBackend('cpu');
after(() => setTimeout(() => process.exit(), 500).unref());  // kit/tf_kit.js's MessageChannel (parity.test.mjs)

const { job, server } = pythonFixtures('same_seed_fixtures', 'same_seed.json');
const browser = fill(tf, typedDeep(job));

for (const method of Object.keys(server)) {
  test(`${method}: the browser's fills are the server's, same seed, within ${TOL} sd`, () => {
    const got = browser.models[method]; const want = server[method];
    assert.equal(got.mean.length, want.mean.length);
    let worst = 0;
    want.mean.forEach((v, i) => { worst = Math.max(worst, Math.abs(got.mean[i] - v)); });
    assert.ok(worst < TOL, `${method}: a mean fill differs by ${worst.toExponential(2)} sd`);
    // a draw resamples one of the importance samples: the same one on either side (weights within rounding)
    let same = 0;
    want.draws.forEach((v, i) => { if (Math.abs(got.draws[i] - v) < TOL) same += 1; });
    assert.equal(same, want.draws.length, `${method}: ${want.draws.length - same} draws resampled another sample`);
  });
}
