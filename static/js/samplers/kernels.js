// The z-moves of the Gibbs chain on (z, x^m) (dgm_core/samplers/kernels.py), on a VAE of models/vae.js.

import { reparameterise } from '../models/vae.js';

// Each step(x, s, rng, adapt) takes the chains' completions x (B*D) and state s = {z, params, logLik} (logLik: log
// p(x | z) of each chain) and returns {state, accepted (0/1 per chain)}; draws in dgm_core's order.

// accept each chain's proposal with probability min(1, exp(logRho)); a non-finite ratio rejects (kernels._metropolis)
export function metropolis(m, B, s, z, params, logLik, logRho, rng) {
  const u = rng.uniform(B);
  const accepted = Uint8Array.from(logRho, (r, b) => (Math.log(u[b]) < (Number.isNaN(r) ? -Infinity : r) ? 1 : 0));
  if (!accepted.some((a) => a)) return { state: s, accepted };
  const P = params.length / B;
  const out = { z: Float32Array.from(s.z), params: Float32Array.from(s.params), logLik: Float64Array.from(s.logLik) };
  for (let b = 0; b < B; b++) {
    if (!accepted[b]) continue;
    out.z.set(z.subarray(b * m.d, (b + 1) * m.d), b * m.d);
    out.params.set(params.subarray(b * P, (b + 1) * P), b * P);
    out.logLik[b] = logLik[b];
  }
  return { state: out, accepted };
}

// z ~ q(z | x_t), always kept (PseudoGibbsKernel)
export const pseudoKernel = (m, B) => ({
  name: 'pseudo', exact: false,
  async step(x, s, rng) {
    const { mu, logSigma } = await m.encode(x, null, B);
    const z = reparameterise(mu, logSigma, rng);
    return { state: { z, params: await m.decode(z, B), logLik: null }, accepted: new Uint8Array(B).fill(1) };
  },
});

// independence MH with the encoder's proposal at the current x_t (EncoderKernel; Mattei & Frellsen 2018, Alg. 1)
const encoderKernel = (m, B) => ({
  name: 'encoder', exact: true,
  async step(x, s, rng) {
    const { d } = m;
    const { mu, logSigma } = await m.encode(x, null, B);
    const eps = rng.normal(B * d);
    const z = new Float32Array(B * d);
    for (let i = 0; i < z.length; i++) z[i] = mu[i] + Math.exp(logSigma[i]) * eps[i];
    const params = await m.decode(z, B);
    const lik = m.logLik(params, x, B);
    const logRho = Float64Array.from(lik, (l, b) => {
      let r = l - s.logLik[b];
      for (let k = 0; k < d; k++) {
        const i = b * d + k;
        const e = (s.z[i] - mu[i]) * Math.exp(-logSigma[i]);
        r += -0.5 * (z[i] * z[i] - s.z[i] * s.z[i]) + 0.5 * (eps[i] * eps[i] - e * e);
      }
      return r;
    });
    return metropolis(m, B, s, z, params, lik, logRho, rng);
  },
});

// preconditioned Crank-Nicolson, beta 0.3 (PCNKernel): prior-reversible, so rho = p(x_t | z~) / p(x_t | z)
const pcnKernel = (m, B, beta = 0.3) => ({
  name: 'pcn', exact: true,
  async step(x, s, rng) {
    const eps = rng.normal(B * m.d);
    const z = Float32Array.from(s.z, (v, i) => Math.sqrt(1 - beta * beta) * v + beta * eps[i]);
    const params = await m.decode(z, B);
    const lik = m.logLik(params, x, B);
    return metropolis(m, B, s, z, params, lik, Float64Array.from(lik, (l, b) => l - s.logLik[b]), rng);
  },
});

// HMC on p(x_t | z) p(z), 5 leapfrog steps, its per-chain step size tuned towards acceptance 0.7 during burn-in and
// then frozen at its running average (HMCKernel); the gradient is the model's own graph (m.gradient)
function hmcKernel(m, B, leapfrog = 5, target = 0.7, init = 0.05) {
  const { d } = m;
  let logEps = null; let logEpsBar = null; let t = 0; let frozen = false;
  return {
    name: 'hmc', exact: true,
    stepSize: () => (logEps ? Array.from(logEps, Math.exp) : null),
    async step(x, s, rng, adapt) {
      if (!logEps) { logEps = new Float32Array(B).fill(Math.log(init)); logEpsBar = Float32Array.from(logEps); }
      if (!adapt && t > 0 && !frozen) { logEps = Float32Array.from(logEpsBar); frozen = true; }
      const eps = Float32Array.from(logEps, Math.exp);
      const g0 = await m.gradient(s.z, x, B);
      const p0 = rng.normal(B * d);
      let z = s.z;
      const p = Float32Array.from(p0, (v, i) => v + 0.5 * eps[Math.floor(i / d)] * g0.grad[i]);
      let g = g0;
      for (let l = 0; l < leapfrog; l++) {
        const zl = z;
        z = Float32Array.from(zl, (v, i) => v + eps[Math.floor(i / d)] * p[i]);
        g = await m.gradient(z, x, B);
        if (l < leapfrog - 1) for (let i = 0; i < p.length; i++) p[i] += eps[Math.floor(i / d)] * g.grad[i];
      }
      for (let i = 0; i < p.length; i++) p[i] += 0.5 * eps[Math.floor(i / d)] * g.grad[i];
      const logRho = Float64Array.from(g.logTarget, (v, b) => {
        let r = v - g0.logTarget[b];
        for (let k = 0; k < d; k++) { const i = b * d + k; r -= 0.5 * (p[i] * p[i] - p0[i] * p0[i]); }
        return Math.fround(r);
      });
      if (adapt && !frozen) {
        t += 1;
        const eta = t ** -0.6;
        for (let b = 0; b < B; b++) {
          const a = Math.exp(Math.min(Number.isNaN(logRho[b]) ? -Infinity : logRho[b], 0));
          logEps[b] = Math.min(Math.max(logEps[b] + eta * (a - target), Math.log(1e-4)), Math.log(2));
          logEpsBar[b] = eta * logEps[b] + (1 - eta) * logEpsBar[b];
        }
      }
      return metropolis(m, B, s, z, g.params, g.logLik, logRho, rng);
    },
  };
}

// the encoder move or HMC, picked at random each step with equal weights (MixKernel): one float64 uniform
function mixKernel(m, B) {
  const kernels = [encoderKernel(m, B), hmcKernel(m, B)];
  return {
    name: 'mix', exact: true, stepSize: kernels[1].stepSize,
    step(x, s, rng, adapt) {
      const u = rng.uniform64(1)[0];
      return kernels[u <= 0.5 ? 0 : 1].step(x, s, rng, adapt);
    },
  };
}

export const KERNELS = { encoder: encoderKernel, pcn: pcnKernel, hmc: hmcKernel, mix: mixKernel };
