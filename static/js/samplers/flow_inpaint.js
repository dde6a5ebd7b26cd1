// A flow-matching model's replacement path for inpainting (dgm_core/samplers/flow_inpaint.py, resample 0, Heun steps):
// from noise z at t = 0 to the image at t = 1 by dx/dt = v(x, t) (the exported velocity graph, on [-1, 1]); before
// each step the observed pixels are set to where the straight path from z to the image stands, (1 - t) z + t y.

import { session, tensor } from '../kit/ort.js';

export async function flowRun(spec, job, shape, rng, progress) {
  const vel = await session(spec.velocity);
  const x = job.image; const obs = job.observed; const D = x.length;
  const S = job.settings.n_draws; const n = job.settings.flow_steps; const dt = 1 / n;
  const y = Float32Array.from(x, (v) => v * 2 - 1);
  const z = rng.normal(S * D);
  const v = async (xt, t) => (await vel.run({ x: tensor(xt, [S, ...shape]),
    t: tensor(new Float32Array(S).fill(t), [S]) })).velocity.data;
  let xt = Float32Array.from(z);
  for (let k = 0; k < n; k++) {
    const t = k * dt;
    for (let i = 0; i < S * D; i++) if (obs[i % D]) xt[i] = (1 - t) * z[i] + t * y[i % D];
    const v1 = await v(xt, t);
    const xe = Float32Array.from(xt, (a, i) => a + dt * v1[i]);
    const v2 = await v(xe, Math.fround(Math.fround(t) + Math.fround(dt)));
    xt = Float32Array.from(xt, (a, i) => a + dt * 0.5 * (v1[i] + v2[i]));
    progress((k + 1) / n);
  }
  const samples = new Float32Array(S * D);
  for (let i = 0; i < S * D; i++) {
    const j = i % D;
    samples[i] = obs[j] ? x[j] : Math.min(Math.max((xt[i] + 1) / 2, 0), 1);
  }
  const mean = new Float32Array(D); const std = new Float32Array(D);
  for (let j = 0; j < D; j++) {
    if (obs[j]) { mean[j] = x[j]; continue; }
    let a = 0; for (let s = 0; s < S; s++) a += samples[s * D + j];
    const m = a / S; let q = 0;
    for (let s = 0; s < S; s++) q += (samples[s * D + j] - m) ** 2;
    mean[j] = m; std[j] = Math.sqrt(q / S);
  }
  return { method: 'flow', mean, std, samples, n_draws: S,
    diagnostics: { n_steps: n, resample: 0, method: 'heun', evaluations: 2 * n } };
}
