// MIWAE's importance sampling (dgm_core/samplers/importance.py; Mattei & Frellsen 2019, arXiv:1812.02633): weights
// of L encoder draws, the weighted mean and spread, draws by resampling, and the truth's conditional log-likelihood.

import { LOG_2PI, logStandardNormal, logSumExp, multinomial } from '../kit/maths.js';

// log w_l = log p(x^o | z_l) + log p(z_l) - log q(z_l | x^o) for L draws at x (only its observed pixels count),
// and the decoder's parameters, in chunks (progress between them)
export async function weights(m, x, obs, L, rng, progress) {
  const { D, d } = m;
  const xo = Float32Array.from(x, (v, j) => (obs[j] ? v : 0));
  const { mu, logSigma } = await m.encode(xo, Float32Array.from(obs), 1);
  const eps = rng.normal(L * d);
  const z = new Float32Array(L * d);
  for (let l = 0; l < L; l++) for (let k = 0; k < d; k++) z[l * d + k] = mu[k] + Math.exp(logSigma[k]) * eps[l * d + k];
  const P = m.gaussian ? 2 : 1;
  const params = new Float32Array(L * P * D);
  const CHUNK = 250;
  for (let l0 = 0; l0 < L; l0 += CHUNK) {
    const n = Math.min(CHUNK, L - l0);
    params.set(await m.decode(z.slice(l0 * d, (l0 + n) * d), n), l0 * P * D);
    progress((l0 + n) / L);
  }
  const logW = new Float64Array(L);
  for (let l = 0; l < L; l++) {
    let lp = 0;
    for (let j = 0; j < D; j++) if (obs[j]) lp += m.logPx(params, l, j, xo[j]);
    let lq = 0;
    for (let k = 0; k < d; k++) {
      const e = (z[l * d + k] - mu[k]) * Math.exp(-logSigma[k]);
      lq += -0.5 * (e * e + LOG_2PI) - logSigma[k];
    }
    logW[l] = lp + logStandardNormal(z, l, d) - lq;
  }
  return { logW, params };
}

export async function importance(m, job, rng, nllRng, progress) {
  const { D } = m;
  const s = job.settings;
  const L = s.n_samples;
  const obs = job.observed;
  const x = job.image;
  const { logW, params } = await weights(m, x, obs, L, rng, (f) => progress(0.45 * f));
  const lse = logSumExp(logW);
  const w = Float64Array.from(logW, (v) => Math.exp(v - lse));
  const mean = new Float32Array(D); const std = new Float32Array(D);
  for (let j = 0; j < D; j++) {
    if (obs[j]) { mean[j] = x[j]; continue; }
    let a = 0; let a2 = 0;
    for (let l = 0; l < L; l++) {
      const p = m.mean(params, l, j);
      a += w[l] * p; a2 += w[l] * (p * p + m.variance(params, l, j));
    }
    mean[j] = a; std[j] = Math.sqrt(Math.max(a2 - a * a, 0));
  }
  const idx = multinomial(w, s.n_draws, rng);
  const P = m.gaussian ? 2 : 1;
  const picked = new Float32Array(idx.length * P * D);
  idx.forEach((l, i) => picked.set(params.subarray(l * P * D, (l + 1) * P * D), i * P * D));
  // Bernoulli: a draw at each resampled z; Gaussian: its mean (per-pixel noise on a face looks like snow)
  const fill = m.gaussian
    ? Float32Array.from({ length: idx.length * D }, (_, i) => m.mean(picked, Math.floor(i / D), i % D))
    : m.sample(picked, idx.length, rng);
  const samples = Float32Array.from(fill, (v, i) => (obs[i % D] ? x[i % D] : v));
  let sw2 = 0;
  for (const v of w) sw2 += v * v;
  const out = { method: 'miwae', mean, std, samples, n_draws: idx.length, ess: 1 / sw2,
    log_px_obs: lse - Math.log(L), log_weights: logW };
  if (job.truth) {  // log p(x^m_true | x^o) ≈ log Σ_l w_l p(x^m_true | z_l), fresh draws (conditional_log_lik)
    const t = await weights(m, job.truth, obs, L, nllRng, (f) => progress(0.5 + 0.5 * f));
    const tl = logSumExp(t.logW);
    const terms = Float64Array.from(t.logW, (v, l) => {
      let lp = 0;
      for (let j = 0; j < D; j++) if (!obs[j]) lp += m.logPx(t.params, l, j, job.truth[j]);
      return v - tl + lp;
    });
    out.cond_log_lik = logSumExp(terms);
  }
  return out;
}
