// Starting the browser's trainer, for the panels that train in the visitor's browser (the GAN training page's film,
// the Critics page's retrain, the flow page's drawing). The runtime the Python side sends (ui/critics_view.py:
// trainer_runtime) names the worker's module (workers/toy_train.worker.js or flow_train.worker.js, content-hashed)
// and TensorFlow.js's files in the app's static files (content-hashed names, so the browser's cache keeps them),
// all relative to the page's URL.

// -> Promise of {worker, backend}; `onMessage` gets every message after 'ready'. Rejects, with a sentence, where the
// browser cannot run it (no Web Workers, the runtime's files unreachable).
export function startTrainer(runtime, onMessage) {
  if (typeof Worker !== 'function') {
    return Promise.reject(new Error('this browser cannot run Web Workers'));
  }
  const abs = {};
  for (const [k, v] of Object.entries(runtime)) abs[k] = new URL(v, window.location.href).href;
  let worker;
  try {
    worker = new Worker(abs.worker, { type: 'module' });
  } catch (err) {
    return Promise.reject(new Error(`this browser cannot run module Web Workers (${err.message || err})`));
  }
  return new Promise((resolve, reject) => {
    worker.onerror = (e) => { e.preventDefault(); reject(new Error(e.message || 'the trainer did not start')); };
    worker.onmessage = ({ data }) => {
      if (data.type !== 'ready') { worker.terminate(); reject(new Error(data.message || 'the trainer did not start')); return; }
      worker.onmessage = ({ data: msg }) => onMessage(msg);
      resolve({ worker, backend: data.backend });
    };
    worker.postMessage({ cmd: 'init', runtime: abs });
  });
}

// the runtime in words, for a panel's note
export const BACKENDS = { wasm: 'TensorFlow.js on WebAssembly', cpu: 'TensorFlow.js in plain JavaScript' };
