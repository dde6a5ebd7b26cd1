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

const { ess, pixels } = pythonFixtures('mcmc_fixtures', 'mcmc.json');
for (const c of ess) {
  test(`the ESS of a mean, ${c.name}, is ArviZ's`, () => close(essMean(c.chains.map((x) => Float64Array.from(x))),
    c.want, c.name));
}
for (const c of pixels) {
  test(`the traced pixels' ESS over ${c.S} chains of ${c.T} steps is dgm_core's`, () => close(
    essPixels(Float32Array.from(c.pixels), c.T, c.S, c.P, c.burn_in), c.want, `${c.T} x ${c.S} x ${c.P}`));
}
