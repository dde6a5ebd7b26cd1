// Starting the browser's trainer, for the panels that train in the visitor's browser (the GAN training page's film,
// the Critics page's retrain). TRAIN_WORKER, the source of ui/toy_train.worker.js, is put before this file by the
// Python side (ui/critics_view.py): the worker starts from it, then imports TensorFlow.js from the app's static files
// (content-hashed names, so the browser's cache keeps them).

// -> Promise of {worker, backend}; `onMessage` gets every message after 'ready'. Rejects, with a sentence, where the
// browser cannot run it (no Web Workers, the runtime's files unreachable).
function startTrainer(runtime, onMessage) {
  if (typeof Worker !== 'function' || typeof Blob !== 'function') {
    return Promise.reject(new Error('this browser cannot run Web Workers'));
  }
  const abs = {};
  for (const [k, v] of Object.entries(runtime)) abs[k] = new URL(v, window.location.href).href;
  const worker = new Worker(URL.createObjectURL(new Blob([TRAIN_WORKER], { type: 'text/javascript' })));
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
const BACKENDS = { wasm: 'TensorFlow.js on WebAssembly', cpu: 'TensorFlow.js in plain JavaScript' };
