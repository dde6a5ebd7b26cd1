// The Gibbs chain: a z-move, then x^m ~ p(x^m | z) (dgm_core/samplers/mwg.py: gibbs_chain, summarised as
// dgm_core/samplers/base.py does); "mwg" with the settings' exact z-move (Metropolis-within-Gibbs, Mattei & Frellsen
// 2018, arXiv:1812.02633), "pseudo_gibbs" with the encoder's draws kept without a test.

import { logStandardNormal, logSumExp } from '../kit/maths.js';
import { essPixels } from '../kit/mcmc.js';
import { logLikMissing, scores } from '../metrics.js';
import { KERNELS, pseudoKernel } from './kernels.js';

export async function chain(m, job, rng, progress, method) {
  const { D } = m;
  const s = job.settings;
  const B = s.chains;
  const obs = job.observed;
  const xObs = job.image;
  const x = new Float32Array(B * D);  // the chains' completions
  const keep = (fill) => {
    for (let b = 0; b < B; b++) for (let j = 0; j < D; j++) x[b * D + j] = obs[j] ? xObs[j] : fill(b, j);
  };
  if (s.init === 'noise') { const u = rng.uniform(B * D); keep((b, j) => u[b * D + j]); }
  else if (s.init === 'zeros' || s.init === 'half') keep(() => (s.init === 'half' ? 0.5 : 0));
  else throw new Error(`Unknown initialisation ${s.init}; use zeros, half or noise.`);
  const redraw = (params) => {  // x^m ~ p(x^m | z); observed pixels never change
    const draw = m.sample(params, B, rng);
    for (let i = 0; i < B * D; i++) if (!obs[i % D]) x[i] = draw[i];
  };
  const warm = pseudoKernel(m, B);
  if (method === 'mwg' && !KERNELS[s.kernel]) throw new Error(`Unknown z-move ${s.kernel}.`);
  const kern = method === 'mwg' ? KERNELS[s.kernel](m, B) : warm;
  // the chains' start: one encoder draw at the filled image, its pixels redrawn
  let st = (await warm.step(x, null, rng)).state;
  redraw(st.params);
  st.logLik = m.logLik(st.params, x, B);
  const s1 = new Float64Array(D); const s2 = new Float64Array(D);
  let count = 0;
  const trace = [];
  const miss = Uint8Array.from(obs, (o) => 1 - o);
  const chainMean = new Float32Array(D);
  const lls = [];
  // per step: log p(x_t, z_t) of each chain, its move's acceptance, E[x | z_t] at the tracked pixels (the
  // diagnostics), and every `every` steps a snapshot for the step slider: the chains' mean and chain 1's completion
  const track = job.track || [];
  const logJoint = []; const accepted = []; const pixels = []; const snapSteps = []; const snapMean = [];
  const snapSample = [];
  const every = Math.max(1, Math.floor(s.steps / s.snapshots));
  for (let t = 1; t <= s.warm_start + s.steps; t++) {
    const k = t - s.warm_start;
    const moved = await (k <= 0 ? warm : kern).step(x, st, rng, k > 0 && k <= s.burn_in);
    st = moved.state;
    redraw(st.params);
    st = { ...st, logLik: m.logLik(st.params, x, B) };
    if (k <= 0) continue;
    const params = st.params;
    for (let b = 0; b < B; b++) {
      logJoint.push(st.logLik[b] + logStandardNormal(st.z, b, m.d));
      accepted.push(moved.accepted[b]);
      for (const j of track) pixels.push(m.mean(params, b, j));
    }
    const burnt = k > s.burn_in;  // Settings keeps the burn-in shorter than the chain
    for (let j = 0; j < D; j++) {
      let a = 0; let a2 = 0;
      for (let b = 0; b < B; b++) { const p = m.mean(params, b, j); a += p; a2 += p * p + m.variance(params, b, j); }
      chainMean[j] = a / B;
      if (burnt) { s1[j] += a / B; s2[j] += a2 / B; }
    }
    if (burnt) count += 1;
    if (job.truth) {
      trace.push(scores(chainMean, job.truth, miss, job.binary)[job.binary ? 'F1' : 'MSE']);
      if (k > s.burn_in) for (let b = 0; b < B; b++) lls.push(logLikMissing(m, params, b, job.truth, miss, job.binary));
    }
    if (k % every === 0 || k === 1) {
      snapSteps.push(k);
      snapMean.push(Float32Array.from(chainMean, (v, j) => (obs[j] ? xObs[j] : v)));
      const first = x.subarray(0, D);  // for a Gaussian decoder its mean, as the server's snapshot
      snapSample.push(Float32Array.from(first, (v, j) => (m.gaussian && !obs[j] ? m.mean(params, 0, j) : v)));
    }
    if (k % 10 === 0 || k === s.steps) progress(k / s.steps);
  }
  const mean = new Float32Array(D); const std = new Float32Array(D);
  for (let j = 0; j < D; j++) {
    mean[j] = obs[j] ? xObs[j] : s1[j] / count;
    std[j] = obs[j] ? 0 : Math.sqrt(Math.max(s2[j] / count - (s1[j] / count) ** 2, 0));
  }
  const n = Math.min(s.n_draws, B);
  const samples = new Float32Array(n * D);
  for (let b = 0; b < n; b++) {  // the final states; for a Gaussian decoder its means (a face, not pixel noise)
    for (let j = 0; j < D; j++) {
      samples[b * D + j] = obs[j] ? xObs[j] : (m.gaussian ? m.mean(st.params, b, j) : x[b * D + j]);
    }
  }
  const pixelTrace = Float32Array.from(pixels);  // kept in the browser: the server gets its ESS (dgm_core's rule)
  const out = { method, kernel: kern.name, mean, std, samples, n_draws: n, trace, chains: B,
    log_joint: Float64Array.from(logJoint), accepted: Uint8Array.from(accepted), pixel_trace: pixelTrace,
    ess_pixels: track.length ? essPixels(pixelTrace, s.steps, B, track.length, s.burn_in) : null,
    snapshot_steps: snapSteps, snapshot_mean: snapMean, snapshot_sample: snapSample,
    step_size: kern.stepSize ? kern.stepSize() : null };
  if (lls.length) out.cond_log_lik = logSumExp(lls) - Math.log(lls.length);
  return out;
}
