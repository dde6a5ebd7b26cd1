// A VAE's (or MIWAE's) two networks as the browser's samplers call them (dgm_core/models/vae.py): its encoder, its
// decoder and, for HMC, its gradient graph, exported to ONNX by `python -m dgm_core export NAME`; and its decoder's law
// (Bernoulli logits, or a Gaussian with a floored scale) here, in the same order as dgm_core.

import { LOG_2PI, logStandardNormal, sigmoid, softplus } from '../kit/maths.js';
import { session, tensor } from '../kit/ort.js';

// spec: {encoder, decoder, gradient? (URLs), latent, maskInput, likelihood, minScale}; shape: [C, H, W]
export async function model(spec, shape) {
  const [enc, dec, grad] = await Promise.all([session(spec.encoder), session(spec.decoder),
    spec.gradient ? session(spec.gradient) : null]);
  const D = shape[0] * shape[1] * shape[2];
  const d = spec.latent;
  const gaussian = spec.likelihood === 'gaussian';
  const P = gaussian ? 2 : 1;
  return {
    d, D, gaussian,
    // x (B*D), mask (B*D) 0/1 floats or null (all observed) -> {mu, logSigma} (B*d each)
    async encode(x, mask, B) {
      const feed = { x: tensor(x, [B, ...shape]) };
      if (spec.maskInput) feed.mask = tensor(mask || new Float32Array(B * D).fill(1), [B, ...shape]);
      const r = await enc.run(feed);
      return { mu: r.mu.data, logSigma: r.log_sigma.data };
    },
    // z (B*d) -> params (B*P*D), parameter-major per image
    async decode(z, B) {
      return (await dec.run({ z: tensor(z, [B, d]) })).params.data;
    },
    // (z (B*d), x (B*D)) -> the gradient in z of the HMC move's target log p(x | z) + log p(z) (the model's
    // gradient graph), the decoder's parameters, log p(x | z) and that target
    async gradient(z, x, B) {
      if (!grad) throw new Error('this model has no gradient graph (python -m dgm_core export it again)');
      const r = await grad.run({ z: tensor(z, [B, d]), x: tensor(x, [B, ...shape]) });
      const params = r.params.data;
      const logLik = this.logLik(params, x, B);
      return { grad: r.grad.data, params, logLik,
        logTarget: Float64Array.from(logLik, (l, b) => l + logStandardNormal(z, b, d)) };
    },
    // log p(x_b | z_b) of each of B images over all their pixels (model.log_px)
    logLik(params, x, B) {
      const out = new Float64Array(B);
      for (let b = 0; b < B; b++) {
        let l = 0;
        for (let j = 0; j < D; j++) l += this.logPx(params, b, j, x[b * D + j]);
        out[b] = l;
      }
      return out;
    },
    // E[x | z] and Var[x | z] of image b's pixel j
    mean: (params, b, j) => sigmoid(params[b * P * D + j]),
    logScale: (params, b, j) => Math.log(softplus(params[b * P * D + D + j]) + spec.minScale),
    // log p(x_j | z) of image b's pixel j (BCE with logits; a Gaussian with its floored scale)
    logPx(params, b, j, v) {
      const l = params[b * P * D + j];
      if (!gaussian) return -(Math.max(l, 0) - l * v + Math.log1p(Math.exp(-Math.abs(l))));
      const ls = this.logScale(params, b, j);
      const e = (v - sigmoid(l)) * Math.exp(-ls);
      return -0.5 * (e * e + LOG_2PI) - ls;
    },
    variance(params, b, j) {
      if (!gaussian) { const p = sigmoid(params[b * P * D + j]); return p * (1 - p); }
      return Math.exp(2 * this.logScale(params, b, j));
    },
    // x ~ p(x | z) for B images (model.sample_x): u < p for Bernoulli pixels, mean + scale * eps for Gaussian ones
    sample(params, B, rng) {
      const out = new Float32Array(B * D);
      const draw = gaussian ? rng.normal(B * D) : rng.uniform(B * D);
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < D; j++) {
          const p = this.mean(params, b, j);
          const v = draw[b * D + j];
          out[b * D + j] = gaussian ? p + Math.exp(this.logScale(params, b, j)) * v : (v < p ? 1 : 0);
        }
      }
      return out;
    },
  };
}

// z = mu + exp(log_sigma) * eps, and the eps used
export function reparameterise(mu, logSigma, rng) {
  const eps = rng.normal(mu.length);
  const z = new Float32Array(mu.length);
  for (let i = 0; i < z.length; i++) z[i] = mu[i] + Math.exp(logSigma[i]) * eps[i];
  return z;
}
