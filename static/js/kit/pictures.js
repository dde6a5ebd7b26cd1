// A flat (C, H, W) array as RGBA pixels, drawn as the server draws its pictures (ui/imaging.py): values clipped to
// [0, 1], grey (C = 1) or colour (C = 3); a spread on the colour map whose stops the server sends; an input with its
// missing pixels tinted (dgm_core.masks.overlay). Pure functions (tests/js/pictures.test.mjs holds them to the
// server's), and `paint` to put them on a canvas.

const byte = (v) => Math.round(255 * Math.min(1, Math.max(0, v)));

// x (C*H*W) -> RGBA bytes (H*W*4)
export function rgba(x, [c, h, w]) {
  const n = h * w; const out = new Uint8ClampedArray(4 * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 3; k++) out[4 * i + k] = byte(x[(c === 3 ? k * n : 0) + i]);
    out[4 * i + 3] = 255;
  }
  return out;
}

// a spread (C*H*W, non-negative) -> RGBA bytes on the colour map `stops` ([[r, g, b] in [0, 1]]), 0 -> the first
// stop, vmax and above -> the last, NaN black; a colour image's spread is its channels' mean
export function spread(std, [c, h, w], vmax, stops) {
  const n = h * w; const out = new Uint8ClampedArray(4 * n); const top = stops.length - 1;
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (let k = 0; k < c; k++) v += std[k * n + i];
    v /= c;
    out[4 * i + 3] = 255;
    if (Number.isNaN(v)) continue;  // black, as the server draws a spread that is not a number
    const t = vmax > 0 ? Math.min(1, Math.max(0, v / vmax)) : 0;
    const pos = t * top; const j = Math.min(Math.max(Math.floor(pos), 0), top - 1); const f = pos - j;
    for (let k = 0; k < 3; k++) out[4 * i + k] = byte(stops[j][k] * (1 - f) + stops[j + 1][k] * f);
  }
  return out;
}

// x (C*H*W) with its missing pixels (mask: H*W, 1 = observed) mixed with `tint` at opacity `alpha`
export function tinted(x, mask, [c, h, w], tint, alpha) {
  const n = h * w; const out = new Uint8ClampedArray(4 * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 3; k++) {
      const v = Math.min(1, Math.max(0, x[(c === 3 ? k * n : 0) + i]));
      out[4 * i + k] = byte(mask[i] ? v : (1 - alpha) * v + alpha * tint[k]);
    }
    out[4 * i + 3] = 255;
  }
  return out;
}

// RGBA bytes of an h x w picture onto the canvas `c` (its own size; CSS scales it with crisp pixels)
export function paint(c, pixels, [, h, w]) {
  [c.width, c.height] = [w, h];
  c.getContext('2d').putImageData(new ImageData(pixels, w, h), 0, 0);
}
