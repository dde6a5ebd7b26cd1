// static/js/kit/mcmc.js, the effective sample sizes the browser sends the server in place of its pixel traces, against
// dgm_core's, which calls ArviZ (tests/js/mcmc_fixtures.py): chains that mix well or badly, alternate, stay put, are
// short or one, and the traced pixels' median as chain_diagnostics reports it, within 1e-6 relative.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { pythonFixtures } from './python_fixtures.mjs';

import { essMean, essPixels } from '../../static/js/kit/mcmc.js';

const close = (got, want, what) => {
  if (want === null || Number.isNaN(want)) { assert.ok(got === null || Number.isNaN(got), `${what}: ${got}`); return; }
  assert.ok(Math.abs(got - want) <= 1e-6 * Math.abs(want), `${what}: ${got} against ${want}`);
};

const { ess, offset, pixels } = pythonFixtures('mcmc_fixtures', 'mcmc.json');
for (const c of ess) {
  test(`the ESS of a mean, ${c.name}, is ArviZ's`, () => close(essMean(c.chains.map((x) => Float64Array.from(x))),
    c.want, c.name));
}
// 1e12 away from 0, ArviZ's own ESS is not within 1e-6 of the draws' exact one (its sums lose digits of the
// deviations); the browser's, computed on the draws less one of them, is: it is held to the exact value, and to be
// nearer than ArviZ's, instead of a tolerance loosened for everyone.
test('the ESS of draws 1e12 away from 0 is their exact ESS, nearer than ArviZ\'s', () => {
  const got = essMean(offset.chains.map((x) => Float64Array.from(x)));
  close(got, offset.want, 'offset 1e12');
  assert.ok(Math.abs(got - offset.want) < Math.abs(offset.arviz - offset.want), `${got}, ArviZ ${offset.arviz}`);
});
for (const c of pixels) {
  test(`the traced pixels' ESS over ${c.S} chains of ${c.T} steps is dgm_core's`, () => close(
    essPixels(Float32Array.from(c.pixels), c.T, c.S, c.P, c.burn_in), c.want, `${c.T} x ${c.S} x ${c.P}`));
}
