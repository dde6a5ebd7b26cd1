// How many independent draws the chains are worth, as dgm_core reports it for a run's traced pixels (dgm_core.samplers.
// diagnostics.chain_diagnostics: ess_pixels), computed here so that the browser sends the server one number, not every
// step's pixels. `essMean` is ArviZ's effective sample size of a mean (arviz_stats' ess, method "mean": each chain
// split in halves, their autocovariances, Geyer's initial positive then monotone sequence; Vehtari et al., arXiv
// 1903.08008). tests/js/mcmc.test.mjs holds both to dgm_core's, which calls ArviZ.

const RESOLUTION = 1e-15;  // numpy's float64 resolution: a series that moves less is constant

function sum(a, from = 0, to = a.length) {
  let s = 0;
  for (let i = Math.max(0, from); i < Math.min(a.length, to); i++) s += a[i];
  return s;
}

// ary: m series of n draws -> ESS of their mean, the series taken as chains
function ess(ary) {
  const m = ary.length; const n = ary[0].length;
  let lo = Infinity; let hi = -Infinity;
  for (const c of ary) for (const v of c) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  if (hi - lo < RESOLUTION) return m * n;
  const means = ary.map((c) => sum(c) / n);
  const acov = (t) => {  // the chains' mean autocovariance at lag t (each over its own n draws)
    let s = 0;
    for (let c = 0; c < m; c++) {
      const x = ary[c]; const mu = means[c];
      let a = 0;
      for (let i = 0; i + t < n; i++) a += (x[i] - mu) * (x[i + t] - mu);
      s += a / n;
    }
    return s / m;
  };
  const meanVar = (acov(0) * n) / (n - 1);
  let varPlus = (meanVar * (n - 1)) / n;
  if (m > 1) {
    const mu = sum(means) / m;
    varPlus += means.reduce((a, v) => a + (v - mu) ** 2, 0) / (m - 1);
  }
  const rho = new Float64Array(n);
  let even = 1; let odd = 1 - (meanVar - acov(1)) / varPlus;
  rho[0] = even; rho[1] = odd;
  let t = 1;
  while (t < n - 3 && even + odd > 0) {  // Geyer's initial positive sequence
    even = 1 - (meanVar - acov(t + 1)) / varPlus;
    odd = 1 - (meanVar - acov(t + 2)) / varPlus;
    if (even + odd >= 0) { rho[t + 1] = even; rho[t + 2] = odd; }
    t += 2;
  }
  const maxT = t - 2;
  if (even > 0) rho[maxT + 1] = even;
  for (t = 1; t <= maxT - 2; t += 2) {  // Geyer's initial monotone sequence
    if (rho[t + 1] + rho[t + 2] > rho[t - 1] + rho[t]) {
      rho[t + 1] = (rho[t - 1] + rho[t]) / 2;
      rho[t + 2] = rho[t + 1];
    }
  }
  const total = m * n;
  const tau = Math.max(-1 + 2 * sum(rho, 0, maxT + 1) + sum(rho, maxT + 1, maxT + 2), 1 / Math.log10(total));
  return rho.some(Number.isNaN) ? NaN : total / tau;
}

// chains: S arrays of T draws each -> the ESS of their mean (NaN under 4 draws, as ArviZ)
export function essMean(chains) {
  const T = chains[0].length;
  if (T < 4) return NaN;
  const half = Math.floor(T / 2);
  // the ESS does not change when every draw moves by one amount: less one draw, the deviations keep their digits at
  // any offset (a difference of two floats within a factor 2 of each other is exact), which ArviZ's lose at 1e12
  const ref = chains[0][0];
  const shifted = chains.map((c) => Float64Array.from(c, (v) => v - ref));
  return ess(shifted.flatMap((c) => [c.slice(0, half), c.slice(T - half)]));
}

// pixels: the sampler's trace, step by step, chain by chain, tracked pixel by pixel (T x S x P) -> the median over the
// pixels of their ESS after `burnIn` steps (all of them where fewer than 4 would be left), a pixel whose chains never
// moved counting one draw a chain; null where no pixel has one
export function essPixels(pixels, T, S, P, burnIn) {
  const start = T - burnIn >= 4 ? burnIn : 0;
  const per = [];
  for (let p = 0; p < P; p++) {
    const chains = Array.from({ length: S }, (_, s) => Float64Array.from({ length: T - start },
      (_, k) => pixels[((start + k) * S + s) * P + p]));
    const still = chains.every((c) => c.every((v) => v === c[0]));
    const e = still ? S : essMean(chains);
    if (!Number.isNaN(e)) per.push(e);
  }
  if (!per.length) return null;
  per.sort((a, b) => a - b);
  const mid = per.length >> 1;
  return per.length % 2 ? per[mid] : (per[mid - 1] + per[mid]) / 2;
}
