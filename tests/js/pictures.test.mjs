// static/js/kit/pictures.js, which draws a Run's pictures in the browser that computed it, against the server's own
// pictures of the same arrays (tests/js/picture_fixtures.py: ui/imaging.py's bytes): every pixel's colour within one
// level of 255 (the two round a half differently), for a grey and a colour image; a spread that is NaN black, as the
// server draws it.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { pythonFixtures } from './python_fixtures.mjs';

import { rgba, spread, tinted } from '../../static/js/kit/pictures.js';

// RGBA -> its RGB bytes, then the largest difference from the server's
function worst(got, want) {
  let most = 0;
  for (let i = 0; i < want.length / 3; i++) {
    for (let k = 0; k < 3; k++) most = Math.max(most, Math.abs(got[4 * i + k] - want[3 * i + k]));
    assert.equal(got[4 * i + 3], 255);
  }
  return most;
}

for (const c of pythonFixtures('picture_fixtures', 'pictures.json')) {
  test(`a ${c.shape.join('x')} picture is the server's`, () => {
    const x = Float32Array.from(c.x); const mask = Uint8Array.from(c.mask);
    const std = Float32Array.from(c.std, (v) => v ?? NaN);
    assert.ok(worst(rgba(x, c.shape), c.want.rgba) <= 1, 'the values');
    assert.ok(worst(spread(std, c.shape, c.vmax, c.stops), c.want.spread) <= 1, 'the spread on the colour map');
    assert.ok(worst(tinted(x, mask, c.shape, c.tint, c.alpha), c.want.tinted) <= 1, 'the input, missing tinted');
  });
}
