// The inpainting page's Web Worker (started by panels/browser_inpaint.js as a module worker): it runs one job of
// inpaint.js per message and posts its progress and results back. Messages in and out: inpaint.js.

import { run } from '../inpaint.js';

self.onmessage = async ({ data: msg }) => {
  try {
    if (msg.cmd === 'run') await run(msg, (m) => self.postMessage(m));
    else throw new Error(`unknown command ${msg.cmd}`);
  } catch (e) {
    self.postMessage({ type: 'error', id: msg.id, message: String((e && e.message) || e) });
  }
};
