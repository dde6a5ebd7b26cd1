// Own-table mode's trainer, a module Web Worker of the visitor's browser: runs fill.js (MIWAE and the chosen
// not-MIWAE trained and imputed, the seeded generator dgm_core replays) under TensorFlow.js started by kit/tf_kit.js
// (WebAssembly, or plain JavaScript where WebAssembly fails to start). The page cancels a job by terminating the
// worker: fill runs in one go, so nothing of a cancelled job is ever answered.
//
// In: {cmd: 'init', runtime: {tf, wasm, simd, plain} (absolute URLs), backend?: 'cpu'}, {cmd: 'fill', job}
// (server.own_table_job Job.wire(), typed arrays decoded). Out: {type: 'ready', backend},
// {type: 'progress', method, step, of, loss, s} (s: seconds since the job began), {type: 'imputed', method, s},
// {type: 'done', result} (fill.js's), {type: 'error', message}.
import { fill } from './fill.js';
import { init, tf } from '../kit/tf_kit.js';

onmessage = async ({ data: msg }) => {
  try {
    if (msg.cmd === 'init') postMessage({ type: 'ready', backend: await init(msg) });
    else if (msg.cmd === 'fill') postMessage({ type: 'done', result: fill(tf, msg.job, postMessage) });
  } catch (e) {
    postMessage({ type: 'error', message: String((e && e.message) || e) });
  }
};
