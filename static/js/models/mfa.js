// A mixture of factor analysers conditioned in closed form (dgm_core/models/mfa.py: MFA.forward), from its fitted
// parameters (a safetensors file), in float64 as torch computes it and rounded to float32 like torch's result.

import { logSoftmax } from '../kit/maths.js';
import { backward, core, forward, lowrankNll, part } from './dmfa.js';

// MFA's conditional given x's observed pixels (mfa.MFA.forward): weights p(k | x_o),
// means m_k = mu + A_mᵀ E[z | x_o, k], factors C_k⁻¹ A_k with C_k C_kᵀ = I + A_o D_o⁻¹ A_oᵀ, the same d
export function mfaConditional(p, x, obs, l, D) {
  const K = p.logits.length;
  const prior = logSoftmax(p.logits);
  const out = { logits: new Float32Array(K), mean: new Float32Array(K * D), A: new Float32Array(K * l * D),
    d: Float32Array.from(p.d) };
  const fitted = { mean: p.mu, A: p.A, d: p.d };
  for (let k = 0; k < K; k++) {
    const c = part(fitted, k, l, D);
    out.logits[k] = prior[k] - lowrankNll(x, c, obs, l, D);
    const L = core(c, obs, l, D);
    const ez = new Float64Array(l);
    for (let j = 0; j < D; j++) {
      if (!obs[j]) continue;
      const r = (x[j] - c.mean[j]) / c.d[j];
      for (let i = 0; i < l; i++) ez[i] += c.A[i * D + j] * r;
    }
    backward(L, forward(L, ez, l), l);
    const col = new Float64Array(l);
    for (let j = 0; j < D; j++) {
      let m = c.mean[j];
      for (let i = 0; i < l; i++) { m += ez[i] * c.A[i * D + j]; col[i] = c.A[i * D + j]; }
      out.mean[k * D + j] = m;
      forward(L, col, l);
      for (let i = 0; i < l; i++) out.A[(k * l + i) * D + j] = col[i];
    }
  }
  return out;
}
