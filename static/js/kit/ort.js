// The ONNX runtime of the browser's workers: the vendored onnxruntime-web (static/ort, WebAssembly, one thread),
// loaded once per worker, and one InferenceSession per graph URL. Under Node, the parity tests hand in
// onnxruntime-node instead (`use`): the same API.

let ort = null;
let options = { executionProviders: ['wasm'] };
const sessions = {};  // URL or path -> Promise of an InferenceSession

// load onnxruntime-web from the folder `dir` (an absolute URL ending in '/')
export async function runtime(dir) {
  if (!ort) {
    ort = await import(dir + 'ort.wasm.bundle.min.mjs');
    ort.env.wasm.numThreads = 1;  // threads need a cross-origin-isolated page; one is plenty for these models
    ort.env.wasm.wasmPaths = { wasm: dir + 'ort-wasm-simd-threaded.wasm' };
  }
  return ort;
}

// another runtime with the same API (onnxruntime-node, for the tests without a browser)
export function use(runtimeModule) { ort = runtimeModule; options = {}; }

// the graph at `url`, fetched (so Node's tests, with an HTTP server of static/, load it as a browser does)
export function session(url) {
  if (!ort) throw new Error('the ONNX runtime is not loaded');
  if (!sessions[url]) {
    sessions[url] = fetch(url).then(async (r) => {
      if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
      return ort.InferenceSession.create(new Uint8Array(await r.arrayBuffer()), options);
    });
  }
  return sessions[url];
}

// a float32 tensor of the loaded runtime
export const tensor = (data, dims) => new ort.Tensor('float32', data, dims);
