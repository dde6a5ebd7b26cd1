// Small numerical helpers the samplers share, in float64 as dgm_core's reductions are compared with them.

export const LOG_2PI = Math.log(2 * Math.PI);

export const sigmoid = (l) => Math.fround(1 / (1 + Math.exp(-l)));
export const softplus = (v) => (v > 20 ? v : Math.log1p(Math.exp(v)));  // torch's threshold

export function logSumExp(a) {
  let m = -Infinity;
  for (const v of a) m = Math.max(m, v);
  if (!Number.isFinite(m)) return m;
  let s = 0;
  for (const v of a) s += Math.exp(v - m);
  return m + Math.log(s);
}

export function logSoftmax(logits) {
  const lse = logSumExp(logits);
  return Float64Array.from(logits, (v) => v - lse);
}

// log N(z_b; 0, I) of row b of z (B*d)
export function logStandardNormal(z, b, d) {
  let s = 0;
  for (let k = 0; k < d; k++) s += -0.5 * (z[b * d + k] * z[b * d + k] + LOG_2PI);
  return s;
}

// torch.multinomial(w, n, replacement=True): a float64 uniform per draw, the first index whose normalised cumulative
// weight reaches it
export function multinomial(w, n, rng) {
  const cum = new Float64Array(w.length);
  let acc = 0;
  for (let l = 0; l < w.length; l++) { acc += w[l]; cum[l] = acc; }
  return Array.from(rng.uniform64(n), (v) => {
    let lo = 0; let hi = w.length - 1;
    while (hi > lo) { const mid = lo + ((hi - lo) >> 1); if (cum[mid] / acc < v) lo = mid + 1; else hi = mid; }
    return lo;
  });
}
