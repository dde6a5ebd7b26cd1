// The class's own latent experiment on a step of the class page (class.js; a deck step's "experiment": "latent"):
// the step's generator (the latent explorer's ONNX export) runs in this phone's browser (onnxruntime-web), and one
// slider per direction moves its latent vector, z = z0 + sum_d value_d dir_d, the picture following the finger. The
// step's experiment.json (ui/class_pictures.latent_spec) names the generator, the seed's z, the directions and their
// names, relative to the app's root. Nothing is sent: each student explores on their own phone.

import { runtime, session, tensor } from '../../app/static/js/kit/ort.js';
import { paint, rgba } from '../../app/static/js/kit/pictures.js';
import { el } from '../../poll/static/poll_view.js';

// the experiment's panel in `box`: spec (experiment.json), root (the app's root URL)
export function mountLatent(box, spec, root) {
  const D = spec.z0.length;
  const values = Float64Array.from(spec.values);
  el('h2', 'exp-title', box, 'Your own experiment');
  el('p', 'exp-how', box, `Move the sliders: each moves the ${spec.what}'s latent vector along one direction, and `
    + 'this phone draws what the generator makes of it.');
  const canvas = el('canvas', 'exp-canvas', box);
  canvas.setAttribute('aria-label', 'the generator\'s picture');
  const status = el('p', 'exp-status', box); status.setAttribute('role', 'status');
  const list = el('div', 'exp-sliders', box);
  const inputs = spec.names.map((name, d) => {
    const row = el('label', 'exp-slider', list);
    const said = el('span', '', row);
    const input = el('input', '', row);
    Object.assign(input, { type: 'range', min: spec.lo, max: spec.hi, step: spec.step, value: values[d] });
    const show = () => { said.textContent = `${name}: ${Number(values[d]).toFixed(1)}`; };
    input.addEventListener('input', () => { values[d] = Number(input.value); show(); draw(); });
    show();
    return { input, show };
  });
  const reset = el('button', '', box, 'Back to the start');
  reset.onclick = () => {
    inputs.forEach(({ input, show }, d) => { values[d] = spec.values[d]; input.value = values[d]; show(); });
    draw();
  };
  let model = null; let running = false; let again = false;
  async function draw() {  // one run at a time; a drag's latest values drawn last
    if (!model) return;
    if (running) { again = true; return; }
    running = true;
    try {
      do {
        again = false;
        const z = Float32Array.from(spec.z0);
        spec.dirs.forEach((dir, d) => { for (let i = 0; i < D; i++) z[i] += values[d] * dir[i]; });
        const out = await model.run({ z: tensor(z, [1, D]) });
        paint(canvas, rgba(out.image.data, spec.shape), spec.shape);
      } while (again);
    } catch (err) {
      status.textContent = `This phone could not run the generator (${err.message || err}).`;
      status.className = 'exp-status error';
    }
    running = false;
  }
  status.textContent = 'Loading the generator…';
  runtime(new URL(spec.runtime, root).href).then(() => session(new URL(spec.model, root).href)).then((s) => {
    model = s;
    status.textContent = 'Your exploration stays on this phone.';
    draw();
  }).catch((err) => {
    status.textContent = `This phone could not load the generator (${err.message || err}).`;
    status.className = 'exp-status error';
  });
}
