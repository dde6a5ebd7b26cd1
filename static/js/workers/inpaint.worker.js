// The inpainting page's samplers for a visitor's own image and mask, in a Web Worker of the visitor's browser:
// pseudo-Gibbs on the VAE (dgm_core/samplers/mwg.py and kernels.py, summarised as dgm_core/samplers/base.py does)
// and MIWAE importance sampling with resampled draws (dgm_core/samplers/importance.py), with the page's scores
// (dgm_core/demos/inpainting.py: score). The networks are the models' own encoder and decoder, exported to ONNX by
// `python -m dgm_core export NAME` and run by the vendored onnxruntime-web (static/ort, WebAssembly, one thread);
// every other step (draws, likelihoods, weights, averages) is here, in the same order as dgm_core, which stays the
// reference: given the same draws both give the same numbers (tests/e2e/test_browser_inpaint.py).
//
// Randomness: a seeded generator (`seeded` of ui/seeded_rng.js, which ui/browser_inpaint.py puts before this file;
// float32 uniforms, Box-Muller normals, float64 uniforms for the resampling), or, for the parity tests, `draws`: the
// very numbers torch's seeded generator gave dgm_core, one chunk per call, in the order dgm_core asks for them. A
// chunk of the wrong kind or size is an error.
//
// Images are (C, H, W) flat Float32Arrays in [0, 1]; the mask is (H, W), 1 = observed; observed pixels never change.
//
// The exact sampler (Metropolis-within-Gibbs with the page's z-move: HMC on the model's gradient graph, the encoder
// proposal, pCN or their mix) runs on the VAE too; DMFA and MFA draw from their Gaussian conditionals; a flow-matching
// model integrates its ODE with the observed pixels replaced; the model-free fills (mean, harmonic) need no model.
//
// Message in: {cmd: 'run', id, base, runtime, models: {vae, miwae, dmfa, mfa}, image, mask, shape, methods, settings,
//   truth?, track?, draws?}; base: the page's URL, against which the runtime's and the models' URLs are relative
//   models.vae, models.miwae: {encoder, decoder, gradient? (URLs), latent, maskInput, likelihood, minScale};
//   models.dmfa: {conditional (URL), nMixes, nFactors}; models.mfa: {params (URL), nMixes, nFactors};
//   models.flow: {velocity (URL)}
//   settings: dgm_core.demos.inpainting.Settings' fields (steps, chains, burn_in, n_samples, n_draws, init,
//   warm_start, seed, snapshots); track: flat indices of the missing pixels whose E[x | z_t] the chains trace;
//   draws: {mwg, pseudo_gibbs, miwae, miwae_nll, dmfa, mfa, flow}: [{kind: 'uniform' | 'normal' | 'uniform64', data}]
// Messages out: {type: 'progress', id, method, fraction}, {type: 'result', id, result} per method,
//   {type: 'done', id, seconds}, {type: 'error', id, message}.

const LOG_2PI = Math.log(2 * Math.PI);
let ort = null;
const sessions = {};  // URL -> Promise of an InferenceSession

// ---- randomness ---------------------------------------------------------------------------------------------------

// the draws handed over, one chunk per call, each checked against what the sampler asks for
function tape(chunks, what) {
  let i = 0;
  const take = (kind, n) => {
    const c = chunks[i++];
    if (!c || c.kind !== kind || c.data.length !== n) {
      throw new Error(`${what}: draw ${i} should be ${n} ${kind} numbers, the tape has ` +
        (c ? `${c.data.length} ${c.kind}` : 'nothing left'));
    }
    return kind === 'uniform64' ? Float64Array.from(c.data) : Float32Array.from(c.data);
  };
  return { uniform: (n) => take('uniform', n), normal: (n) => take('normal', n), uniform64: (n) => take('uniform64', n),
    left: () => chunks.length - i };
}

// ---- the model: its two ONNX graphs, and its decoder's law (dgm_core/models/vae.py) -------------------------------

async function runtime(dir) {
  if (!ort) {
    ort = await import(dir + 'ort.wasm.bundle.min.mjs');
    ort.env.wasm.numThreads = 1;  // threads need a cross-origin-isolated page; one is plenty for these models
    ort.env.wasm.wasmPaths = { wasm: dir + 'ort-wasm-simd-threaded.wasm' };
  }
  return ort;
}

function session(url) {
  if (!sessions[url]) sessions[url] = ort.InferenceSession.create(url, { executionProviders: ['wasm'] });
  return sessions[url];
}

const sigmoid = (l) => Math.fround(1 / (1 + Math.exp(-l)));
const softplus = (v) => (v > 20 ? v : Math.log1p(Math.exp(v)));  // torch's threshold

async function model(spec, shape) {
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
      const feed = { x: new ort.Tensor('float32', x, [B, ...shape]) };
      if (spec.maskInput) feed.mask = new ort.Tensor('float32', mask || new Float32Array(B * D).fill(1), [B, ...shape]);
      const r = await enc.run(feed);
      return { mu: r.mu.data, logSigma: r.log_sigma.data };
    },
    // z (B*d) -> params (B*P*D), parameter-major per image
    async decode(z, B) {
      return (await dec.run({ z: new ort.Tensor('float32', z, [B, d]) })).params.data;
    },
    // (z (B*d), x (B*D)) -> the gradient in z of the HMC move's target log p(x | z) + log p(z) (the model's
    // gradient graph), the decoder's parameters, log p(x | z) and that target
    async gradient(z, x, B) {
      if (!grad) throw new Error('this model has no gradient graph (python -m dgm_core export it again)');
      const r = await grad.run({ z: new ort.Tensor('float32', z, [B, d]), x: new ort.Tensor('float32', x, [B, ...shape]) });
      const params = r.params.data;
      const logLik = this.logLik(params, x, B);
      return { grad: r.grad.data, params, logLik,
        logTarget: Float64Array.from(logLik, (l, b) => l + logStandardNormal(z, b, d)) };
    },
    // log p(x_b | z_b) of each of B images over all their pixels (model.log_px)
    logLik(params, x, B) {
      const out = new Float64Array(B);
      for (let b = 0; b < B; b++) { let l = 0; for (let j = 0; j < D; j++) l += this.logPx(params, b, j, x[b * D + j]); out[b] = l; }
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
function reparameterise(mu, logSigma, rng) {
  const eps = rng.normal(mu.length);
  const z = new Float32Array(mu.length);
  for (let i = 0; i < z.length; i++) z[i] = mu[i] + Math.exp(logSigma[i]) * eps[i];
  return z;
}

const logStandardNormal = (z, b, d) => {
  let s = 0;
  for (let k = 0; k < d; k++) s += -0.5 * (z[b * d + k] * z[b * d + k] + LOG_2PI);
  return s;
};

function logSumExp(a) {
  let m = -Infinity;
  for (const v of a) m = Math.max(m, v);
  if (!Number.isFinite(m)) return m;
  let s = 0;
  for (const v of a) s += Math.exp(v - m);
  return m + Math.log(s);
}

// ---- scores on the missing pixels (dgm_core.metrics, dgm_core.demos.inpainting.score) -----------------------------

function scores(pred, truth, miss, binary) {
  let tp = 0; let np = 0; let nt = 0; let right = 0; let se = 0; let n = 0;
  for (let j = 0; j < pred.length; j++) {
    if (!miss[j]) continue;
    const p = pred[j] > 0.5; const t = truth[j] > 0.5;
    tp += p && t; np += p; nt += t; right += p === t; n += 1;
    se += (pred[j] - truth[j]) ** 2;
  }
  const out = {};
  if (binary) {
    out.F1 = np + nt > 0 ? 2 * tp / (np + nt) : 1;
    out.accuracy = right / Math.max(n, 1);
  }
  out.MSE = se / Math.max(n, 1);
  return out;
}

// ---- z-moves of the Gibbs chain on (z, x^m) (dgm_core/samplers/kernels.py) -----------------------------------------
// Each step(x, s, rng, adapt) takes the chains' completions x (B*D) and state s = {z, params, logLik} (logLik: log
// p(x | z) of each chain) and returns {state, accepted (0/1 per chain)}; draws in dgm_core's order.

// accept each chain's proposal with probability min(1, exp(logRho)); a non-finite ratio rejects (kernels._metropolis)
function metropolis(m, B, s, z, params, logLik, logRho, rng) {
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
const pseudoKernel = (m, B) => ({
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

const KERNELS = { encoder: encoderKernel, pcn: pcnKernel, hmc: hmcKernel, mix: mixKernel };

// ---- the Gibbs chain: a z-move, then x^m ~ p(x^m | z) (dgm_core.samplers.mwg.gibbs_chain); "mwg" with the
// settings' exact z-move, "pseudo_gibbs" with the encoder's draws kept without a test -----------------------------

async function chain(m, job, rng, progress, method) {
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
  const out = { method, kernel: kern.name, mean, std, samples, n_draws: n, trace, chains: B,
    log_joint: Float64Array.from(logJoint), accepted: Uint8Array.from(accepted), pixel_trace: Float32Array.from(pixels),
    snapshot_steps: snapSteps, snapshot_mean: snapMean, snapshot_sample: snapSample,
    step_size: kern.stepSize ? kern.stepSize() : null };
  if (lls.length) out.cond_log_lik = logSumExp(lls) - Math.log(lls.length);
  return out;
}

// log p(x_m_true | z) of one chain (dgm_core.demos.inpainting._log_lik_missing)
function logLikMissing(m, params, b, truth, miss, binary) {
  let s = 0;
  for (let j = 0; j < truth.length; j++) {
    if (!miss[j]) continue;
    if (binary) {
      const p = Math.min(Math.max(m.mean(params, b, j), 1e-6), 1 - 1e-6);
      s += truth[j] * Math.log(p) + (1 - truth[j]) * Math.log1p(-p);
    } else {
      const v = m.variance(params, b, j); const e = truth[j] - m.mean(params, b, j);
      s += -0.5 * (e * e / v + Math.log(2 * Math.PI * v));
    }
  }
  return s;
}

// torch.multinomial(w, n, replacement=True): a float64 uniform per draw, the first index whose normalised cumulative
// weight reaches it
function multinomial(w, n, rng) {
  const cum = new Float64Array(w.length);
  let acc = 0;
  for (let l = 0; l < w.length; l++) { acc += w[l]; cum[l] = acc; }
  return Array.from(rng.uniform64(n), (v) => {
    let lo = 0; let hi = w.length - 1;
    while (hi > lo) { const mid = lo + ((hi - lo) >> 1); if (cum[mid] / acc < v) lo = mid + 1; else hi = mid; }
    return lo;
  });
}

// ---- MIWAE: importance weights of L encoder draws, the weighted mean, draws by resampling (importance.py) -----------

// log w_l = log p(x^o | z_l) + log p(z_l) - log q(z_l | x^o) for L draws at x (only its observed pixels count),
// and the decoder's parameters, in chunks (progress between them)
async function weights(m, x, obs, L, rng, progress) {
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

async function importance(m, job, rng, nllRng, progress) {
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

// ---- DMFA and MFA: p(x_m | x_o) = Σ_k p_k N(m_k, A_kᵀA_k + diag d_k), a mixture of low-rank Gaussians ------------
// (dgm_core/models/dmfa.py, mfa.py). DMFA's network gives it (the exported graph); MFA's is computed here from the
// fitted parameters (a safetensors file) in float64, as torch does, and rounded to float32 like torch's result.

const params = {};  // URL -> Promise of {name: Float32Array}

// a safetensors file: an 8-byte little-endian header length, a JSON header {name: {dtype, shape, data_offsets}}, data
function safetensors(url) {
  if (!params[url]) {
    params[url] = fetch(url).then(async (r) => {
      if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
      const buf = await r.arrayBuffer();
      const n = Number(new DataView(buf).getBigUint64(0, true));
      const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 8, n)));
      const out = {};
      for (const [name, t] of Object.entries(header)) {
        if (name === '__metadata__') continue;
        if (t.dtype !== 'F32') throw new Error(`${url}: ${name} is ${t.dtype}, not F32`);
        out[name] = new Float32Array(buf.slice(8 + n + t.data_offsets[0], 8 + n + t.data_offsets[1]));
      }
      return out;
    });
  }
  return params[url];
}

// the lower Cholesky factor of the l×l matrix a (row-major, float64), in place
function cholesky(a, l) {
  for (let i = 0; i < l; i++) {
    for (let j = 0; j <= i; j++) {
      let v = a[i * l + j];
      for (let k = 0; k < j; k++) v -= a[i * l + k] * a[j * l + k];
      a[i * l + j] = i === j ? Math.sqrt(v) : v / a[j * l + j];
    }
    for (let j = i + 1; j < l; j++) a[i * l + j] = 0;
  }
  return a;
}

// L y = b for the lower factor L, in place
function forward(L, b, l) {
  for (let i = 0; i < l; i++) { let v = b[i]; for (let k = 0; k < i; k++) v -= L[i * l + k] * b[k]; b[i] = v / L[i * l + i]; }
  return b;
}

// Lᵀ y = b, in place
function backward(L, b, l) {
  for (let i = l - 1; i >= 0; i--) { let v = b[i]; for (let k = i + 1; k < l; k++) v -= L[k * l + i] * b[k]; b[i] = v / L[i * l + i]; }
  return b;
}

// one component k of a mixture held as flat arrays (mean: K×D, A: K×l×D, d: K×D): its views
const part = (t, k, l, D) => ({ mean: t.mean.subarray(k * D, (k + 1) * D), A: t.A.subarray(k * l * D, (k + 1) * l * D),
  d: t.d.subarray(k * D, (k + 1) * D) });

// I + A_S D_S⁻¹ A_Sᵀ over the coordinates S = sel, and its lower Cholesky factor
function core(c, sel, l, D) {
  const m = new Float64Array(l * l);
  for (let i = 0; i < l; i++) m[i * l + i] = 1;
  for (let j = 0; j < D; j++) {
    if (!sel[j]) continue;
    for (let i = 0; i < l; i++) {
      const ai = c.A[i * D + j] / c.d[j];
      for (let k = 0; k <= i; k++) m[i * l + k] += ai * c.A[k * D + j];
    }
  }
  for (let i = 0; i < l; i++) for (let k = 0; k < i; k++) m[k * l + i] = m[i * l + k];
  return cholesky(m, l);
}

// -log N(x_S; mean_S, A_Sᵀ A_S + diag d_S) by Woodbury and the determinant lemma (dmfa.lowrank_nll)
function lowrankNll(x, c, sel, l, D) {
  const L = core(c, sel, l, D);
  const v = new Float64Array(l);
  let quad = 0; let logdet = 0; let n = 0;
  for (let j = 0; j < D; j++) {
    if (!sel[j]) continue;
    const r = x[j] - c.mean[j];
    quad += r * r / c.d[j]; logdet += Math.log(c.d[j]); n += 1;
    for (let i = 0; i < l; i++) v[i] += c.A[i * D + j] / c.d[j] * r;
  }
  forward(L, v, l);
  for (let i = 0; i < l; i++) { quad -= v[i] * v[i]; logdet += 2 * Math.log(L[i * l + i]); }
  return 0.5 * (quad + logdet + n * LOG_2PI);
}

function logSoftmax(logits) {
  const lse = logSumExp(logits);
  return Float64Array.from(logits, (v) => v - lse);
}

// MFA's conditional given x's observed pixels (mfa.MFA.forward): weights p(k | x_o), means m_k = mu + A_mᵀ E[z | x_o, k],
// factors C_k⁻¹ A_k with C_k C_kᵀ = I + A_o D_o⁻¹ A_oᵀ, the same d
function mfaConditional(p, x, obs, l, D) {
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

// DMFA's conditional: its network on (x ⊙ mask, mask)
async function dmfaConditional(spec, x, mask2d, shape) {
  const sess = await session(spec.conditional);
  const [, H, W] = shape;
  const r = await sess.run({ x: new ort.Tensor('float32', x, [1, ...shape]),
    mask: new ort.Tensor('float32', Float32Array.from(mask2d, (v) => (v ? 1 : 0)), [1, 1, H, W]) });
  return { logits: r.logits.data, mean: r.mean.data, A: r.A.data, d: r.d.data };
}

// the mixture's summary and draws (dmfa.impute_from): mean and spread of the most probable component, draws
// k ~ p_k then m_k + A_kᵀ ε + √d_k ⊙ η; observed pixels kept; with the truth, the NLL of its missing pixels
function factorImpute(method, out, job, l, rng) {
  const x = job.image; const obs = job.observed; const D = x.length;
  const K = out.logits.length; const S = job.settings.n_draws;
  const logp = logSoftmax(out.logits);
  const probs = Float32Array.from(logp, Math.exp);
  let best = 0;
  for (let k = 1; k < K; k++) if (probs[k] > probs[best]) best = k;
  const b = part(out, best, l, D);
  const mean = new Float32Array(D); const std = new Float32Array(D); const factors = new Float32Array(l * D);
  for (let j = 0; j < D; j++) {
    if (obs[j]) { mean[j] = x[j]; continue; }
    let v = 0;
    for (let i = 0; i < l; i++) { v += b.A[i * D + j] * b.A[i * D + j]; factors[i * D + j] = b.A[i * D + j]; }
    mean[j] = b.mean[j]; std[j] = Math.sqrt(v + b.d[j]);
  }
  const comp = multinomial(probs, S, rng);
  const eps = rng.normal(S * l);
  const eta = rng.normal(S * D);
  const samples = new Float32Array(S * D);
  comp.forEach((k, s) => {
    const c = part(out, k, l, D);
    for (let j = 0; j < D; j++) {
      if (obs[j]) { samples[s * D + j] = x[j]; continue; }
      let v = c.mean[j];
      for (let i = 0; i < l; i++) v += eps[s * l + i] * c.A[i * D + j];
      samples[s * D + j] = v + Math.sqrt(c.d[j]) * eta[s * D + j];
    }
  });
  const res = { method, mean, std, samples, n_draws: S, weights: probs, component: best, factors, n_factors: l };
  if (job.truth) {  // -log Σ_k p_k N_k(x_m) (dmfa.mixture_nll): a density, not a probability
    const miss = Uint8Array.from(obs, (o) => 1 - o);
    res.cond_log_lik = logSumExp(Float64Array.from(logp, (lp, k) => lp - lowrankNll(job.truth, part(out, k, l, D),
      miss, l, D)));
  }
  return res;
}

async function factorRun(method, spec, job, shape, rng, progress) {
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

// ---- a flow-matching model's replacement path (dgm_core/samplers/flow_inpaint.py, resample 0, Heun steps) ---------
// From noise z at t = 0 to the image at t = 1 by dx/dt = v(x, t) (the exported velocity graph, on [-1, 1]); before
// each step the observed pixels are set to where the straight path from z to the image stands, (1 - t) z + t y.

async function flowRun(spec, job, shape, rng, progress) {
  const vel = await session(spec.velocity);
  const x = job.image; const obs = job.observed; const D = x.length;
  const S = job.settings.n_draws; const n = job.settings.flow_steps; const dt = 1 / n;
  const y = Float32Array.from(x, (v) => v * 2 - 1);
  const z = rng.normal(S * D);
  const v = async (xt, t) => (await vel.run({ x: new ort.Tensor('float32', xt, [S, ...shape]),
    t: new ort.Tensor('float32', new Float32Array(S).fill(t), [S]) })).velocity.data;
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

// ---- model-free fills (dgm_core/samplers/simple.py), in float32 as torch computes them ----------------------------

const f32 = Math.fround;

// each (channel) plane's mean of its observed pixels; 0.5 where a plane has none
function observedMeans(x, obs, C, HW) {
  return Array.from({ length: C }, (_, c) => {
    let n = 0; let t = 0;
    for (let j = c * HW; j < (c + 1) * HW; j++) if (obs[j]) { n += 1; t += x[j]; }
    return n ? f32(t / n) : 0.5;
  });
}

function point(method, filled, job, diagnostics) {
  return { method, mean: filled, std: new Float32Array(filled.length), samples: Float32Array.from(filled), n_draws: 1,
    diagnostics };
}

// every missing pixel gets its plane's observed mean (mean_fill)
function meanFill(job) {
  const [C, H, W] = job.shape; const HW = H * W;
  const means = observedMeans(job.image, job.observed, C, HW);
  const filled = Float32Array.from(job.image, (v, j) => (job.observed[j] ? v : means[Math.floor(j / HW)]));
  return point('mean_fill', filled, job, { fill: 'observed mean' });
}

// harmonic fill by red-black SOR with a front of neighbour averages sweeping in first (neighbour_fill)
function neighbourFill(job) {
  const [C, H, W] = job.shape; const HW = H * W; const D = C * HW;
  const obs = job.observed; const x = job.image;
  let v = Float32Array.from(x, (val, j) => (obs[j] ? val : 0));
  const reached = Uint8Array.from(obs);
  const colour = (k) => Uint8Array.from(obs, (o, j) => { const r = Math.floor((j % HW) / W); const c = j % W;
    return !o && (r + c) % 2 === k ? 1 : 0; });
  const colours = [colour(0), colour(1)];
  const omega = f32(2 / (1 + Math.sin(Math.PI / (Math.max(H, W) + 1))));
  const at = (a, p, r, c) => (r < 0 || r >= H || c < 0 || c >= W ? 0 : a[p * HW + r * W + c]);
  const neighbours = (a, j) => {  // the 4 neighbours' sum, zero beyond the border, added in torch's order
    const p = Math.floor(j / HW); const r = Math.floor((j % HW) / W); const c = j % W;
    return f32(f32(f32(at(a, p, r - 1, c) + at(a, p, r + 1, c)) + at(a, p, r, c - 1)) + at(a, p, r, c + 1));
  };
  const iterations = 2 * (H + W);
  let sweeps = 0; let change = Infinity;
  while (sweeps < iterations) {
    let changeT = 0;
    let before = 0;
    for (const r of reached) before += r;
    for (const update of colours) {
      const weighted = Float32Array.from(v, (val, j) => (reached[j] ? val : 0));
      const wt = Float32Array.from(reached);
      const next = Float32Array.from(v);
      const newly = [];
      for (let j = 0; j < D; j++) {
        if (!update[j]) continue;
        const den = neighbours(wt, j);
        if (!(den > 0)) continue;
        const avg = f32(neighbours(weighted, j) / Math.max(den, 1));
        const val = reached[j] ? f32(v[j] + f32(omega * f32(avg - v[j]))) : avg;
        if (reached[j]) changeT = Math.max(changeT, Math.abs(f32(val - v[j])));
        next[j] = val;
        newly.push(j);
      }
      v = next;
      for (const j of newly) reached[j] = 1;
    }
    sweeps += 1;
    change = changeT;
    let after = 0;
    for (const r of reached) after += r;
    if (change <= 1e-6 && after === before) break;
  }
  const means = observedMeans(x, obs, C, HW);
  let unreached = 0; let lo = Infinity; let hi = -Infinity;
  for (let j = 0; j < D; j++) {
    if (!reached[j]) { v[j] = means[Math.floor(j / HW)]; unreached += 1; }
    if (obs[j]) { lo = Math.min(lo, x[j]); hi = Math.max(hi, x[j]); }
  }
  if (lo <= hi) for (let j = 0; j < D; j++) v[j] = Math.min(Math.max(v[j], lo), hi);
  for (let j = 0; j < D; j++) if (obs[j]) v[j] = x[j];
  return point('neighbour_fill', v, job, { sweeps, max_change: change, unreached });
}

const FILLS = { mean_fill: meanFill, neighbour_fill: neighbourFill };

// ---- a run ------------------------------------------------------------------------------------------------------

const FAMILY = { mwg: 'vae', pseudo_gibbs: 'vae', miwae: 'miwae', dmfa: 'dmfa', mfa: 'mfa', flow: 'flow' };

async function run(msg) {
  const t0 = performance.now();
  // the URLs (runtime, models' files) are relative to the page's, `base`: a worker made from a blob has none of its own
  const abs = (u) => new URL(u, msg.base).href;
  const files = ['encoder', 'decoder', 'gradient', 'conditional', 'params', 'velocity'];
  const models = Object.fromEntries(Object.entries(msg.models || {}).map(([f, spec]) => [f,
    Object.fromEntries(Object.entries(spec).map(([k, v]) => [k, files.includes(k) ? abs(v) : v]))]));
  await runtime(abs(msg.runtime));
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
    if (!FAMILY[method] && !FILLS[method]) throw new Error(`The browser does not run ${method}.`);
    const t1 = performance.now();
    if (FILLS[method]) {
      const res = FILLS[method]({ ...job, shape: msg.shape });
      res.seconds = (performance.now() - t1) / 1000;
      if (job.truth) res.scores = scores(res.mean, job.truth, miss, job.binary);
      postMessage({ type: 'progress', id: msg.id, method, fraction: (i + 1) / msg.methods.length });
      postMessage({ type: 'result', id: msg.id, result: res });
      continue;
    }
    const spec = models[FAMILY[method]];
    if (!spec) throw new Error(`No ${FAMILY[method]} model was given for ${method}.`);
    const draws = msg.draws || {};
    const rng = draws[method] ? tape(draws[method], method) : seeded(msg.settings.seed);
    const fraction = (f) => (i + f) / msg.methods.length;
    const progress = (f) => postMessage({ type: 'progress', id: msg.id, method, fraction: fraction(f) });
    const nllRng = draws.miwae_nll ? tape(draws.miwae_nll, 'miwae_nll') : seeded(msg.settings.seed + 1);
    let res;
    if (method === 'dmfa' || method === 'mfa') res = await factorRun(method, spec, job, msg.shape, rng, progress);
    else if (method === 'flow') res = await flowRun(spec, job, msg.shape, rng, progress);
    else {
      const m = await model(spec, msg.shape);
      res = method === 'miwae' ? await importance(m, job, rng, nllRng, progress) : await chain(m, job, rng, progress, method);
    }
    if (draws[method] && rng.left()) throw new Error(`${method}: ${rng.left()} chunks of draws were not used`);
    res.seconds = (performance.now() - t1) / 1000;
    if (job.truth) {
      res.scores = scores(res.mean, job.truth, miss, job.binary);
      // a Gaussian density on pixels (faces, DMFA, MFA) is not comparable with a Bernoulli probability (score)
      const density = !job.binary || FAMILY[method] === 'dmfa' || FAMILY[method] === 'mfa';
      if (res.cond_log_lik !== undefined) res.scores[density ? 'NLL density (nats)' : 'NLL (nats)'] = -res.cond_log_lik;
    }
    postMessage({ type: 'result', id: msg.id, result: res });
  }
  postMessage({ type: 'done', id: msg.id, seconds: (performance.now() - t0) / 1000 });
}

onmessage = async ({ data: msg }) => {
  try {
    if (msg.cmd === 'run') await run(msg);
    else throw new Error(`unknown command ${msg.cmd}`);
  } catch (e) {
    postMessage({ type: 'error', id: msg.id, message: String((e && e.message) || e) });
  }
};
