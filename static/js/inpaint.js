// The inpainting page's samplers for a visitor's own image and mask, run by a Web Worker of the visitor's browser
// (workers/inpaint.worker.js) and by the parity tests under Node (tests/js):
// pseudo-Gibbs on the VAE (dgm_core/samplers/mwg.py and kernels.py, summarised as dgm_core/samplers/base.py does)
// and MIWAE importance sampling with resampled draws (dgm_core/samplers/importance.py), with the page's scores
// (dgm_core/demos/inpainting.py: score). The networks are the models' own encoder and decoder, exported to ONNX by
// `python -m dgm_core export NAME` and run by the vendored onnxruntime-web (static/ort, WebAssembly, one thread);
// every other step (draws, likelihoods, weights, averages) is in the modules imported below, one per dgm_core twin,
// in the same order as dgm_core, which stays the reference: given the same draws both give the same numbers
// (tests/js under Node, tests/e2e/test_browser_inpaint.py in chromium).
//
// Randomness: a seeded generator (`seeded` of kit/seeded_rng.js; float32 uniforms, Box-Muller normals, float64
// uniforms for the resampling), or, for the parity tests, `draws`: the very numbers torch's seeded generator gave
// dgm_core, one chunk per call, in the order dgm_core asks for them (`tape`). A chunk of the wrong kind or size is an
// error.
//
// Images are (C, H, W) flat Float32Arrays in [0, 1]; the mask is (H, W), 1 = observed; observed pixels never change.
//
// The exact sampler (Metropolis-within-Gibbs with the page's z-move: HMC on the model's gradient graph, the encoder
// proposal, pCN or their mix) runs on the VAE too; DMFA and MFA draw from their Gaussian conditionals; a flow-matching
// model integrates its ODE with the observed pixels replaced, or runs its twisted particle filter; the model-free
// fills (mean, harmonic) need no model.
//
// Message in: {cmd: 'run', id, base, runtime, models: {vae, miwae, dmfa, mfa}, image, mask, shape, methods, settings,
//   truth?, track?, draws?}; base: the page's URL, against which the runtime's and the models' URLs are relative
//   models.vae, models.miwae: {encoder, decoder, gradient? (URLs), latent, maskInput, likelihood, minScale};
//   models.dmfa: {conditional (URL), nMixes, nFactors}; models.mfa: {params (URL), nMixes, nFactors};
//   models.flow: {velocity (URL), twist? (URL: the twisted filter's graph)}
//   settings: dgm_core.demos.inpainting.Settings' fields (steps, chains, burn_in, n_samples, n_draws, init,
//   warm_start, seed, snapshots, kernel, flow_steps, particles, langevin); track: flat indices of the missing pixels
//   whose E[x | z_t] the chains trace;
//   draws: {mwg, pseudo_gibbs, miwae, miwae_nll, dmfa, mfa, flow, flow_twisted}:
//   [{kind: 'uniform' | 'normal' | 'uniform64', data}]
// Messages out: {type: 'progress', id, method, fraction, ess?, particles?}, {type: 'result', id, result} per method,
//   {type: 'done', id, seconds}, {type: 'error', id, message}.

import { seeded, tape } from './kit/seeded_rng.js';
import { runtime } from './kit/ort.js';
import { safetensors } from './kit/safetensors.js';
import manifest from './manifest.json' with { type: 'json' };
import { scores } from './metrics.js';
import { dmfaConditional, factorImpute } from './models/dmfa.js';
import { mfaConditional } from './models/mfa.js';
import { model } from './models/vae.js';
import { flowRun } from './samplers/flow_inpaint.js';
import { twistedRun } from './samplers/flow_twisted.js';
import { importance } from './samplers/importance.js';
import { chain } from './samplers/mwg.js';
import { FILLS } from './samplers/simple.js';

// method -> its model's family (dgm_core/methods.py, through the manifest); a fill needs none
const FAMILY = Object.fromEntries(Object.entries(manifest.methods.inpainting).map(([m, r]) => [m, r.family]));

// DMFA's or MFA's conditional, then the mixture's summary and draws
async function factorRun({ method, spec, job, shape, rng, progress }) {
  const l = spec.nFactors;
  let out;
  if (method === 'dmfa') {
    out = await dmfaConditional(spec, job.image, job.mask, shape);
  } else {
    const p = await safetensors(spec.params);
    out = mfaConditional(p, job.image, job.observed, l, job.image.length);
  }
  progress(0.8);
  return factorImpute(method, out, job, l, rng);
}

// the methods that run here with a model (the fills need none: samplers/simple.js), each from one context:
// {method, spec (its model's files), job, shape, rng, nllRng, progress}
export const RUNS = {
  mwg: async (c) => chain(await model(c.spec, c.shape), c.job, c.rng, c.progress, c.method),
  pseudo_gibbs: async (c) => chain(await model(c.spec, c.shape), c.job, c.rng, c.progress, c.method),
  miwae: async (c) => importance(await model(c.spec, c.shape), c.job, c.rng, c.nllRng, c.progress),
  dmfa: factorRun,
  mfa: factorRun,
  flow: (c) => flowRun(c.spec, c.job, c.shape, c.rng, c.progress),
  flow_twisted: (c) => twistedRun(c.spec, c.job, c.shape, c.rng, c.progress),
};

// one job, its messages handed to `post` (the worker's postMessage), in the order the panel reads them
export async function run(msg, post) {
  const t0 = performance.now();
  // the URLs (runtime, models' files) are relative to the page's, `base`, not to this module's
  const abs = (u) => new URL(u, msg.base).href;
  const files = ['encoder', 'decoder', 'gradient', 'conditional', 'params', 'velocity', 'twist'];
  const models = Object.fromEntries(Object.entries(msg.models || {}).map(([f, spec]) => [f,
    Object.fromEntries(Object.entries(spec).map(([k, v]) => [k, files.includes(k) ? abs(v) : v]))]));
  if (msg.runtime) await runtime(abs(msg.runtime));  // else the one loaded already (the tests': onnxruntime-node)
  const [C, H, W] = msg.shape;
  const D = C * H * W;
  const observed = new Uint8Array(D);
  for (let j = 0; j < D; j++) observed[j] = msg.mask[j % (H * W)] ? 1 : 0;
  const job = { image: Float32Array.from(msg.image), observed, mask: msg.mask, settings: msg.settings,
    binary: !!msg.binary,
    track: msg.track,
    truth: msg.truth === null ? null : Float32Array.from(msg.truth || msg.image) };
  const miss = Uint8Array.from(observed, (o) => 1 - o);
  for (const [i, method] of msg.methods.entries()) {
    if (!RUNS[method] && !FILLS[method]) throw new Error(`The browser does not run ${method}.`);
    const t1 = performance.now();
    if (FILLS[method]) {
      const res = FILLS[method]({ ...job, shape: msg.shape });
      res.seconds = (performance.now() - t1) / 1000;
      if (job.truth) res.scores = scores(res.mean, job.truth, miss, job.binary);
      post({ type: 'progress', id: msg.id, method, fraction: (i + 1) / msg.methods.length });
      post({ type: 'result', id: msg.id, result: res });
      continue;
    }
    const spec = models[FAMILY[method]];
    if (!spec) throw new Error(`No ${FAMILY[method]} model was given for ${method}.`);
    const draws = msg.draws || {};
    const rng = draws[method] ? tape(draws[method], method) : seeded(msg.settings.seed);
    const fraction = (f) => (i + f) / msg.methods.length;
    // `more`: what a sampler reports as it goes (the twisted filter: its effective sample size after each step)
    const progress = (f, more) => post({ type: 'progress', id: msg.id, method, fraction: fraction(f), ...more });
    const nllRng = draws.miwae_nll ? tape(draws.miwae_nll, 'miwae_nll') : seeded(msg.settings.seed + 1);
    const res = await RUNS[method]({ method, spec, job, shape: msg.shape, rng, nllRng, progress });
    if (draws[method] && rng.left()) throw new Error(`${method}: ${rng.left()} chunks of draws were not used`);
    res.seconds = (performance.now() - t1) / 1000;
    if (job.truth) {
      res.scores = scores(res.mean, job.truth, miss, job.binary);
      // a Gaussian density on pixels (faces, DMFA, MFA) is not comparable with a Bernoulli probability (score)
      const density = !job.binary || FAMILY[method] === 'dmfa' || FAMILY[method] === 'mfa';
      if (res.cond_log_lik !== undefined) res.scores[density ? 'NLL density (nats)' : 'NLL (nats)'] = -res.cond_log_lik;
    }
    post({ type: 'result', id: msg.id, result: res });
  }
  post({ type: 'done', id: msg.id, seconds: (performance.now() - t0) / 1000 });
}
