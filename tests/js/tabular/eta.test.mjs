// The browser's whole-job estimate (static/js/tabular/eta.js): every model's steps and imputations counted, the
// warm-up's slow first steps left out of the rate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WARM, pace, toGo } from '../../../static/js/tabular/eta.js';

test('nothing is promised before the warm-up is over', () => {
  const eta = pace(100, 2);
  assert.equal(eta.step(5, 3.0), null);
  assert.equal(eta.step(WARM, 4.0), null);
});

test('the time left covers every model, not only the current one', () => {
  // 3 s of warm-up, then 0.1 s a step: at step 30 of the first of two 100-step models, 170 steps are left
  const eta = pace(100, 2);
  eta.step(WARM, 3.0);
  const left = eta.step(30, 3.0 + (30 - WARM) * 0.1);
  assert.ok(Math.abs(left - 170 * 0.1) < 1e-9, `${left}`);
});

test('a timed imputation counts for each model still to impute', () => {
  const eta = pace(100, 3);
  eta.step(WARM, 1.0);
  eta.step(100, 1.0 + 90 * 0.05);
  eta.imputed(2.0);
  // the second model half done: 150 steps and two imputations left
  const left = eta.step(150, 1.0 + 140 * 0.05 + 2.0);
  // (the imputation's 2 s are not training: the rate stays 0.05 s a step)
  assert.ok(Math.abs(left - (150 * 0.05 + 2 * 2.0)) < 1e-9, `${left}`);
});

test('the words', () => {
  assert.equal(toGo(2), 'a few seconds to go');
  assert.equal(toGo(41.4), 'about 41 s to go');
  assert.equal(toGo(300), 'about 5 min to go');
});
