// The flow-matching model's twisted particle filter (dgm_core/samplers/flow_twisted.py: read its docstring), for one
// image: P particles along the model's chain from noise at t = 0 to the image at t = 1, each step's proposal pushed up
// the gradient of the twisting potential N(y; x̂_1^o(x_t), r_t² + τ²) and the weights correcting for the push. The
// potential, x̂_1 and the gradient come from the exported twisting graph (`python -m dgm_core export flow-mnist`:
// <name>-twist.onnx, torch's backward pass traced into plain operations); the draws, the chain's steps, the weights
// and the resampling are here, in dgm_core's order, so the same draws give dgm_core's numbers. The settings the page
// does not offer (steps, τ, the Langevin step, the resampling threshold) are the server's (the manifest's).

import { session, tensor } from '../kit/ort.js';
import manifest from '../manifest.json' with { type: 'json' };

const FIXED = manifest.samplers.flow_twisted;

// the chain's step from time s to t > s as x_t ~ N(a x̂_1 + b x_s, v) (flow_smc.bridge); at t = 1, (1, 0, τ²)
export function bridge(s, t, tau) {
  if (t >= 1) return [1, 0, tau * tau];
  const sd2 = (1 - t) ** 2; const alpha = s / t;
  const varSt = (1 - s) ** 2 - alpha ** 2 * sd2;
  const v = 1 / (1 / sd2 + alpha ** 2 / varSt);
  return [v * t / sd2, v * alpha / varSt, v];
}

// r_t² + τ²: the twisting potential's variance at time t (flow_twisted.twist_variance)
export const twistVariance = (t, tau) => (1 - t) ** 2 / (t ** 2 + (1 - t) ** 2) + tau ** 2;

// log-weights normalised in place; returns their log-sum-exp
function normalise(logW) {
  let m = -Infinity;
  for (const a of logW) m = Math.max(m, a);
  let s = 0;
  for (const a of logW) s += Math.exp(a - m);
  const norm = m + Math.log(s);
  for (let i = 0; i < logW.length; i++) logW[i] = Math.fround(logW[i] - norm);
  return norm;
}

const ess = (logW) => 1 / logW.reduce((a, l) => a + Math.exp(2 * l), 0);

// systematic resampling of normalised log-weights into m ancestors from one uniform u (flow_smc.systematic)
export function systematic(logW, u, m) {
  const p = logW.length; const cdf = new Float32Array(p);
  let c = 0;
  for (let i = 0; i < p; i++) { c += Math.fround(Math.exp(logW[i])); cdf[i] = c; }
  cdf[p - 1] = 1;
  const out = new Int32Array(m);
  for (let k = 0, i = 0; k < m; k++) {
    const v = Math.fround(Math.fround(u + k) / m);
    while (i < p - 1 && cdf[i] < v) i++;
    out[k] = i;
  }
  return out;
}

export async function twistedRun(spec, job, shape, rng, progress) {
  const net = await session(spec.twist);
  const { particles: P, langevin: L, n_draws: S } = job.settings;
  const { n_steps: K, tau, langevin_step: lstep, ess_fraction: essFraction } = FIXED;
  const x0 = job.image; const obs = job.observed; const D = x0.length; const N = P * D;
  const y = Float32Array.from({ length: N }, (_, i) => x0[i % D] * 2 - 1);
  const o = Float32Array.from({ length: N }, (_, i) => obs[i % D]);
  const dims = [P, ...shape];
  // x̂_1, log p̃_t(y | x) and its gradient for every particle at time t
  const twist = async (x, t) => {
    const out = await net.run({ x: tensor(x, dims), t: tensor(new Float32Array(P).fill(t), [P]),
      y: tensor(y, dims), obs: tensor(o, dims), var: tensor(new Float32Array(P).fill(twistVariance(t, tau)), [P]) });
    return { x1: out.x1_hat.data, logG: out.log_g.data, grad: out.grad.data };
  };
  let x = rng.normal(N);
  let tw = await twist(x, 0);
  const logW = Float32Array.from(tw.logG, (l) => l - Math.log(P));
  let evidence = normalise(logW);
  let e = ess(logW); let resamples = 0;
  const essSteps = new Float32Array(K);
  let x1From = tw.x1;
  for (let k = 1; k <= K; k++) {
    const s = (k - 1) / K; const t = k / K;
    if (e < essFraction * P) {  // resample before moving
      const pick = systematic(logW, rng.uniform(1)[0], P);
      const take = (a) => {
        const b = new Float32Array(N);
        pick.forEach((j, i) => b.set(a.subarray(j * D, (j + 1) * D), i * D));
        return b;
      };
      x = take(x);
      tw = { x1: take(tw.x1), logG: Float32Array.from(pick, (j) => tw.logG[j]), grad: take(tw.grad) };
      logW.fill(-Math.log(P));
      resamples++;
    }
    if (s > 0) {
      for (let l = 0; l < L; l++) {  // unadjusted Langevin on p_s(x) p̃_s(y | x)
        const delta = lstep * (1 - s) ** 2;
        const eps = rng.normal(N);
        x = Float32Array.from(x, (a, i) =>
          a + delta * ((s * tw.x1[i] - a) / (1 - s) ** 2 + tw.grad[i]) + Math.sqrt(2 * delta) * eps[i]);
        tw = await twist(x, s);
      }
    }
    const [a, b, v] = bridge(s, t, tau);
    const eps = rng.normal(N);
    x1From = tw.x1;
    const inc = new Float64Array(P);
    if (t < 1) {
      const next = new Float32Array(N);
      for (let p = 0; p < P; p++) {
        let r = 0;
        for (let j = p * D; j < (p + 1) * D; j++) {
          const mean = a * tw.x1[j] + b * x[j]; const shift = v * tw.grad[j];
          next[j] = mean + shift + Math.sqrt(v) * eps[j];
          r += ((next[j] - mean - shift) ** 2 - (next[j] - mean) ** 2);
        }
        inc[p] = r / (2 * v);
      }
      const before = tw.logG;
      x = next;
      tw = await twist(x, t);
      for (let p = 0; p < P; p++) inc[p] += tw.logG[p] - before[p];
    } else {  // the chain's last step: x_1 ~ N(x̂_1(x_s), τ²) with x_1^o = y
      for (let p = 0; p < P; p++) {
        let lp = 0;
        for (let j = p * D; j < (p + 1) * D; j++) {
          if (o[j]) lp += -0.5 * ((y[j] - tw.x1[j]) ** 2 / v + Math.log(2 * Math.PI) + Math.log(v));
        }
        inc[p] = lp - tw.logG[p];
      }
      x = Float32Array.from(x, (_, i) => (o[i] ? y[i] : tw.x1[i] + Math.sqrt(v) * eps[i]));
    }
    for (let p = 0; p < P; p++) logW[p] = logW[p] + inc[p];
    evidence += normalise(logW);
    e = essSteps[k - 1] = ess(logW);
    progress(k / K, { ess: e, particles: P });
  }
  // the weighted mean and spread of the particles' x̂_1 and n_draws resampled ones (flow_smc.summarise)
  const img = Float32Array.from(x1From, (a) => Math.min(Math.max((a + 1) / 2, 0), 1));
  const w = Float64Array.from(logW, Math.exp);
  const mean = new Float32Array(D); const std = new Float32Array(D);
  for (let j = 0; j < D; j++) {
    if (obs[j]) { mean[j] = x0[j]; continue; }
    let m = 0;
    for (let p = 0; p < P; p++) m += w[p] * img[p * D + j];
    let q = 0;
    for (let p = 0; p < P; p++) q += w[p] * (img[p * D + j] - m) ** 2;
    mean[j] = m; std[j] = Math.sqrt(q);
  }
  const pick = systematic(logW, rng.uniform(1)[0], S);
  const samples = new Float32Array(S * D);
  pick.forEach((p, i) => { for (let j = 0; j < D; j++) samples[i * D + j] = obs[j] ? x0[j] : img[p * D + j]; });
  return { method: 'flow_twisted', mean, std, samples, n_draws: S, ess: Array.from(essSteps),
    diagnostics: { particles: P, n_steps: K, tau, ess_final: e, resamples, log_evidence: evidence,
      evaluations: K + L * (K - 1), langevin: L } };
}
