// What the browser's trainers share (imported by workers/toy_train.worker.js, the Critics and GAN pages' trainer,
// and workers/flow_train.worker.js, the flow-matching page's): small
// multilayer perceptrons in TensorFlow.js (static/tfjs, its WebAssembly backend; the plain-JavaScript one where
// WebAssembly is missing), initialised as torch's nn.Linear, and torch's Adam in plain JavaScript, so dgm_core stays
// the reference that the parity tests hold each trainer to.
//
// Weights live here as Float32Arrays, a linear layer's W as (in, out) (torch keeps (out, in)); each update builds
// tensors from them, takes the loss and its gradients in TensorFlow.js and applies Adam to the arrays.

export let tf = null;  // TensorFlow.js, once `init` has loaded it (a live binding for the importers)

export const fill = (n, f) => { const a = new Float32Array(n); for (let i = 0; i < n; i++) a[i] = f(i); return a; };

// ---- networks: [{W: (in, out), b: (out), inn, out}], initialised as torch's nn.Linear (U(-1/sqrt(in), 1/sqrt(in))) --

export function mlp(sizes, r) {
  return sizes.slice(1).map((out, i) => {
    const inn = sizes[i]; const bound = 1 / Math.sqrt(inn);
    const W = r.uniform(inn * out).map((u) => (2 * u - 1) * bound);
    const b = r.uniform(out).map((u) => (2 * u - 1) * bound);
    return { inn, out, W, b };
  });
}

export const flat = (net) => net.flatMap((l) => [l.W, l.b]);  // the parameters in the optimiser's order
export const tensors = (net) => net.flatMap((l) => [tf.tensor2d(l.W, [l.inn, l.out]), tf.tensor1d(l.b)]);

// x (B, in) -> (B, out); hidden layers followed by `act`
export function forward(x, params, act) {
  let h = x;
  for (let i = 0; i < params.length; i += 2) {
    h = tf.add(tf.matMul(h, params[i]), params[i + 1]);
    if (i + 2 < params.length) h = act(h);
  }
  return h;
}

// torch.optim.Adam (no weight decay), on Float32Arrays: -> update(grads, lrNow = lr); a rate per call follows a
// schedule as torch does when a param group's lr is changed between steps (the moments are not touched)
export function adam(arrays, lr, [b1, b2], eps = 1e-8) {
  const m = arrays.map((a) => new Float32Array(a.length)); const v = arrays.map((a) => new Float32Array(a.length));
  let t = 0;
  return (grads, lrNow = lr) => {
    t += 1;
    const size = lrNow / (1 - b1 ** t); const bc2 = Math.sqrt(1 - b2 ** t);
    arrays.forEach((w, k) => {
      const g = grads[k]; const mk = m[k]; const vk = v[k];
      for (let i = 0; i < w.length; i++) {
        mk[i] = b1 * mk[i] + (1 - b1) * g[i];
        vk[i] = b2 * vk[i] + (1 - b2) * g[i] * g[i];
        w[i] -= size * mk[i] / (Math.sqrt(vk[i]) / bc2 + eps);
      }
    });
  };
}

// a macrotask that is not clamped like a nested setTimeout: lets a message ('pause', 'stop') in between two steps
const channel = new MessageChannel();
const yielded = [];
channel.port1.onmessage = () => yielded.shift()();
export const breathe = () => new Promise((resolve) => { yielded.push(resolve); channel.port2.postMessage(0); });

// n points (n * 2) of a pool (N * 2): rows uniformly with replacement, plus jitter * N(0, I)
// (dgm_core.models.flow2d.sample_pool): the flow's data, and the GAN's on a drawing
export function samplePool(pool, n, jitter, r) {
  const N = pool.length / 2; const u = r.uniform(n); const x = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const j = Math.min(N - 1, Math.floor(u[i] * N));
    x[2 * i] = pool[2 * j]; x[2 * i + 1] = pool[2 * j + 1];
  }
  if (jitter > 0) {
    const e = r.normal(2 * n);
    for (let i = 0; i < 2 * n; i++) x[i] += jitter * e[i];
  }
  return x;
}

// the parity tests' networks on the wire: plain arrays
export const fromWire = (layers) => layers.map((l) => ({ inn: l.inn, out: l.out, W: new Float32Array(l.W),
  b: new Float32Array(l.b) }));
export const toWire = (net) => net.map((l) => ({ inn: l.inn, out: l.out, W: Array.from(l.W), b: Array.from(l.b) }));

// {cmd: 'init', runtime: {tf, wasm, simd, plain} (absolute URLs), backend?} -> the backend's name ('wasm' or 'cpu')
export async function init({ runtime, backend }) {
  await import(runtime.tf);  // UMD scripts: they set globalThis.tf, then its WebAssembly backend
  await import(runtime.wasm);
  tf = globalThis.tf;
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);  // threads need a cross-origin-isolated page
  tf.wasm.setWasmPaths({ 'tfjs-backend-wasm.wasm': runtime.plain, 'tfjs-backend-wasm-simd.wasm': runtime.simd,
    'tfjs-backend-wasm-threaded-simd.wasm': runtime.simd });
  let ok = false;
  try { ok = backend !== 'cpu' && typeof WebAssembly === 'object' && await tf.setBackend('wasm'); } catch { ok = false; }
  if (!ok) await tf.setBackend('cpu');
  await tf.ready();
  return tf.getBackend();
}
