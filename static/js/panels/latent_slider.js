// The latent explorer's slider panel (a Streamlit components-v2 component; Python side: ui/latent_slider.py).
//
// Browser mode (data.mode === "browser"): the generator runs here, in onnxruntime-web (WebAssembly, one thread),
// served by the app from static/. Every `input` event of any slider computes z = z0 + sum_d value_d * dir_d
// from ALL sliders and draws the image; a release redraws the strips under the sliders (each direction's
// values with the others held) and sends only the values back (the URL follows). If the runtime or the model
// cannot load (no WebAssembly, say), the panel reports `fallback` and Python sends server-rendered frames.
//
// Server mode (data.mode === "server"): the strips of frames come from Python; a drag swaps the picture between
// the dragged slider's frames, a release sends the values and Python redraws.

import { el } from '../kit/panel_kit.js';

const runtimes = {};  // the runtime's folder URL -> Promise of the ort module (loaded once per page)
const sessions = {};  // model URL -> Promise of its InferenceSession
const chains = {};  // model URL -> the promise of its last run
const panels = new WeakMap();  // the panel's root -> {sig: the data it was built from, setValues}

function runtime(dir) {
  if (!runtimes[dir]) {
    runtimes[dir] = (async () => {
      if (typeof WebAssembly !== 'object' || typeof WebAssembly.instantiate !== 'function') {
        throw new Error('this browser cannot run WebAssembly');
      }
      const ort = await import(dir + 'ort.wasm.bundle.min.mjs');
      ort.env.wasm.numThreads = 1;  // threads need a cross-origin-isolated page; one is plenty for these models
      ort.env.wasm.wasmPaths = { wasm: dir + 'ort-wasm-simd-threaded.wasm' };  // the glue is in the bundle
      return ort;
    })();
  }
  return runtimes[dir];
}

function session(ort, url) {
  if (!sessions[url]) sessions[url] = ort.InferenceSession.create(url, { executionProviders: ['wasm'] });
  return sessions[url];
}

// the runtime and the model, then a run function that queues runs on the session: zs (B*d floats) -> images
async function generator(data) {
  const ort = await runtime(new URL(data.runtime, window.location.href).href);
  const url = new URL(data.model, window.location.href).href;
  const sess = await session(ort, url);
  return (zs, batch) => {  // one run at a time on a session, whichever panel asks
    const p = (chains[url] || Promise.resolve()).then(() => sess.run({
      z: new ort.Tensor('float32', zs, [batch, data.z0.length]) }));
    chains[url] = p.catch(() => {});
    return p.then((r) => r.image.data);
  };
}

// the panel cannot run the generator: say so, and ask Python for server frames
function giveUp(component, note, err, placeholder) {
  note.textContent = 'This browser cannot run the generator (' + err.message + '); asking the server for frames…';
  if (placeholder) placeholder.textContent = 'Asking the server for frames…';
  component.setStateValue('fallback', String(err.message || err));
}


// run `work` (async) now, or once more after the run in progress when called meanwhile: a drag's events coalesce
// into the newest picture instead of queueing behind each other
function coalesced(work) {
  let busy = false; let again = false;
  return async () => {
    if (busy) { again = true; return; }
    busy = true;
    try {
      do { again = false; await work(); } while (again);
    } finally { busy = false; }
  };
}

// one slider's row under `rows`: its name and value, the range input, and an empty strip for its frames
function sliderRow(rows, name, min, max, step, value) {
  const row = el('div', 'row', rows);
  const label = el('label', '', row);
  el('span', '', label).textContent = name;
  const val = el('span', '', label);
  const input = el('input', '', row);
  input.type = 'range'; input.min = min; input.max = max; input.step = step; input.value = value;
  input.setAttribute('aria-label', name);
  return { input, val, strip: el('div', 'strip', row) };
}

// the index of the value in eps nearest to v
const nearestIndex = (eps, v) => eps.reduce((b, e, i) => (Math.abs(e - v) < Math.abs(eps[b] - v) ? i : b), 0);
const sign = (v) => (v >= 0 ? '+' : '') + Number(v).toFixed(1);

// image b of a (B, C, H, W) float output in [0, 1] -> the canvas, at the model's own size
function paint(canvas, out, b, shape) {
  const [C, H, W] = shape;
  const n = H * W;
  const off = b * C * n;
  canvas.width = W; canvas.height = H;
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(W, H);
  const px = img.data;
  const byte = (v) => Math.round(Math.min(1, Math.max(0, v)) * 255);
  for (let i = 0; i < n; i++) {
    const r = out[off + i];
    px[4 * i] = byte(r);
    px[4 * i + 1] = byte(C === 3 ? out[off + n + i] : r);
    px[4 * i + 2] = byte(C === 3 ? out[off + 2 * n + i] : r);
    px[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

function browserPanel(component, root) {
  const { data, setStateValue } = component;
  const values = data.values.slice();
  const k = data.names.length;
  const E = data.eps.length;
  const pic = el('div', 'pic', root);
  const frame = el('div', 'frame', pic);  // the picture's box, its final size from the start
  const main = el('canvas', 'main', frame);
  [main.width, main.height] = [data.shape[2], data.shape[1]];
  main.setAttribute('role', 'img');
  main.setAttribute('aria-label', 'the generated image');
  // over the blank canvas until the first picture is drawn: the same box, so nothing moves when it goes
  const placeholder = el('div', 'placeholder', frame);
  placeholder.textContent = 'Loading the generator into this browser…';
  const cap = el('div', 'cap', pic);
  const note = el('div', 'note', pic);
  const rows = el('div', 'rows', root);
  cap.textContent = data.caption;
  note.textContent = 'The picture appears once your browser has loaded the generator.';

  const z = () => {
    const out = new Float32Array(data.z0);
    for (let d = 0; d < k; d++) for (let i = 0; i < out.length; i++) out[i] += values[d] * data.dirs[d][i];
    return out;
  };
  let run = null;  // set once the generator has loaded

  const inputs = []; const thumbs = []; const shown = [];
  const nearest = (v) => nearestIndex(data.eps, v);
  data.names.forEach((name, d) => {
    const { input, val, strip } = sliderRow(rows, name, data.lo, data.hi, data.step, values[d]);
    val.textContent = sign(values[d]);
    const ims = data.eps.map((e) => {
      const c = document.createElement('canvas');
      [c.width, c.height] = [data.shape[2], data.shape[1]];
      c.title = name + ' = ' + e;
      c.onclick = () => { input.value = e; onInput(d); onRelease(); };
      strip.appendChild(c);
      return c;
    });
    input.addEventListener('input', () => onInput(d));
    input.addEventListener('change', () => onRelease());
    inputs.push(input); thumbs.push(ims); shown.push(val);
  });
  const mark = (d) => thumbs[d].forEach((t, j) => t.classList.toggle('on', j === nearest(values[d])));

  let times = [];
  const draw = coalesced(async () => {
    if (!run) return;
    const t0 = performance.now();
    const out = await run(z(), 1);
    paint(main, out, 0, data.shape);
    placeholder.hidden = true;
    times = times.concat(performance.now() - t0).slice(-30);
    const ms = times.slice().sort((a, b) => a - b)[Math.floor(times.length / 2)];
    note.textContent = `Drawn in this browser (onnxruntime-web): ${ms.toFixed(1)} ms a picture.`;
  });
  async function strips() {
    if (!run) return;
    const d0 = data.z0.length;
    const base = z();
    const zs = new Float32Array(k * E * d0);
    for (let d = 0; d < k; d++) {
      for (let e = 0; e < E; e++) {
        const o = (d * E + e) * d0;
        for (let i = 0; i < d0; i++) zs[o + i] = base[i] + (data.eps[e] - values[d]) * data.dirs[d][i];
      }
    }
    const out = await run(zs, k * E);
    for (let d = 0; d < k; d++) for (let e = 0; e < E; e++) paint(thumbs[d][e], out, d * E + e, data.shape);
  }
  function onInput(d) {
    values[d] = Number(inputs[d].value);
    shown[d].textContent = sign(values[d]);
    mark(d);
    draw();
  }
  function onRelease() {
    // the URL follows at once (the format the server writes, which its rerun then confirms), before the value
    // goes to Streamlit: that call starts the rerun (its message carries this URL) and can take a busy browser
    // hundreds of milliseconds
    const url = new URL(window.location.href);
    url.searchParams.set(data.url_key, values.map((v) => String(Number(v.toFixed(6)))).join(','));
    window.history.replaceState(window.history.state, '', url);
    setStateValue('values', values.slice());
    strips();
  }
  for (let d = 0; d < k; d++) mark(d);
  const setValues = (vs) => {  // values from the server (Reset): move the sliders there, redraw if they moved
    if (vs.every((v, d) => Math.abs(v - values[d]) < 1e-9)) return;
    vs.forEach((v, d) => { values[d] = v; inputs[d].value = v; shown[d].textContent = sign(v); mark(d); });
    draw(); strips();
  };

  generator(data)
    .then((r) => { run = r; return draw(); })
    .then(() => strips())
    .catch((err) => giveUp(component, note, err, placeholder));
  return setValues;
}

function serverPanel(component, root) {
  const { data, setStateValue } = component;
  const pic = el('div', 'pic', root);
  const main = el('img', 'main', pic);
  main.alt = 'the generated image';
  const cap = el('div', 'cap', pic);
  el('div', 'note', pic).textContent = data.note || '';
  const rows = el('div', 'rows', root);
  const values = data.values.slice();
  main.src = data.main;
  cap.textContent = data.caption;
  const nearest = (v) => nearestIndex(data.eps, v);
  data.names.forEach((name, d) => {
    const { input, val, strip } = sliderRow(rows, name, 0, data.eps.length - 1, 1, nearest(values[d]));
    const ims = data.frames[d].map((src, i) => {
      const im = document.createElement('img');
      im.src = src; im.title = name + ' = ' + data.eps[i];
      im.onclick = () => { input.value = i; show(i); send(); };
      strip.appendChild(im);
      return im;
    });
    const show = (i) => {
      main.src = data.frames[d][i];
      val.textContent = sign(data.eps[i]);
      ims.forEach((t, j) => t.classList.toggle('on', j === i));
    };
    const send = () => { values[d] = data.eps[Number(input.value)]; setStateValue('values', values.slice()); };
    input.addEventListener('input', () => show(Number(input.value)));
    input.addEventListener('change', send);
    val.textContent = sign(values[d]);
    ims[nearest(values[d])].classList.add('on');
  });
}

// the perturbation grid: row d is z0 + eps * direction d, one column per eps (the eps = 0 column framed)
function gridPanel(component, root) {
  const { data } = component;
  const k = data.names.length;
  const E = data.eps.length;
  const table = el('div', 'grid', root);
  // on a narrow panel (a phone) the names wrap and the pictures shrink, so that all E columns stay in view
  table.style.gridTemplateColumns = `fit-content(30%) repeat(${E}, minmax(0, ${data.cell}px))`;
  el('div', 'head', table);
  data.eps.forEach((e) => { el('div', 'head', table).textContent = e > 0 ? '+' + e : String(e); });
  const cells = data.names.map((name, d) => {
    el('div', 'name', table).textContent = name;
    return data.eps.map((e) => {
      const c = el('canvas', e === 0 ? 'cell zero' : 'cell', table);
      [c.width, c.height] = [data.shape[2], data.shape[1]];
      c.title = `${name}, ε = ${e}`;
      return c;
    });
  });
  const note = el('div', 'note', root);
  note.textContent = 'Loading the generator into this browser…';
  const d0 = data.z0.length;
  const zs = new Float32Array(k * E * d0);
  for (let d = 0; d < k; d++) {
    for (let e = 0; e < E; e++) {
      for (let i = 0; i < d0; i++) zs[(d * E + e) * d0 + i] = data.z0[i] + data.eps[e] * data.dirs[d][i];
    }
  }
  generator(data)
    .then(async (run) => {
      const t0 = performance.now();
      const out = await run(zs, k * E);
      for (let d = 0; d < k; d++) for (let e = 0; e < E; e++) paint(cells[d][e], out, d * E + e, data.shape);
      note.textContent = `Drawn in this browser (onnxruntime-web): ${k * E} pictures in `
        + `${(performance.now() - t0).toFixed(0)} ms.`;
    })
    .catch((err) => giveUp(component, note, err));
  return () => {};
}

// z along the great circle from z0 to z1, the norm interpolated linearly (dgm_core.latent.slerp, in float64)
function slerp(z0, z1, a) {
  const norm = (v) => Math.sqrt(v.reduce((t, x) => t + x * x, 0));
  const [n0, n1] = [norm(z0), norm(z1)];
  const u0 = z0.map((x) => x / n0); const u1 = z1.map((x) => x / n1);
  const omega = Math.acos(Math.min(1, Math.max(-1, u0.reduce((t, x, i) => t + x * u1[i], 0))));
  let u;
  if (Math.abs(omega) < 1e-4) {
    u = u0.map((x, i) => (1 - a) * x + a * u1[i]);
    const n = norm(u);
    u = u.map((x) => x / n);
  } else {
    u = u0.map((x, i) => (Math.sin((1 - a) * omega) * x + Math.sin(a * omega) * u1[i]) / Math.sin(omega));
  }
  const r = (1 - a) * n0 + a * n1;
  return u.map((x) => x * r);
}

// latent lerp, latent slerp and the pixel blend from z0 to z1 at any alpha; Play sweeps alpha back and forth at
// screen rate, one pass (0 to 1 or 1 to 0) in data.seconds, until Pause (or a drag of alpha)
function interpPanel(component, root) {
  const { data, setStateValue } = component;
  const bar = el('div', 'ibar', root);
  el('span', 'ilabel', bar).textContent = 'α';
  const input = el('input', '', bar);
  input.type = 'range'; input.min = 0; input.max = 1; input.step = 0.01; input.value = data.alpha;
  input.setAttribute('aria-label', 'α');
  const play = el('button', 'iplay', bar);
  play.type = 'button'; play.textContent = '▶ Play';
  const pics = el('div', 'ipics', root);
  const views = data.paths.map(() => {
    const fig = el('figure', '', pics);
    const c = el('canvas', 'main', fig);
    [c.width, c.height] = [data.shape[2], data.shape[1]];
    c.style.width = data.cell + 'px';  // the CSS keeps the height in proportion and lets a narrow panel shrink it
    return [c, el('figcaption', '', fig)];
  });
  const note = el('div', 'note', root);
  note.textContent = 'Loading the generator into this browser…';
  const n = data.shape[0] * data.shape[1] * data.shape[2];
  const d0 = data.z0.length;
  let run = null; let ends = null; let alpha = Number(data.alpha);
  let playing = null;  // the pending animation frame while Play runs
  let heading = 1;  // +1: towards seed B, -1: back towards seed A
  root.dataset.passSeconds = String(data.seconds);  // what a test watches: one pass's length, the passes played
  root.dataset.passes = '0';
  root.dataset.playing = '0';

  const draw = coalesced(async () => {
    if (!run) return;
    const a = alpha;
    const zs = new Float32Array(2 * d0);
    data.z0.forEach((x, i) => { zs[i] = (1 - a) * x + a * data.z1[i]; });
    zs.set(slerp(data.z0, data.z1, a), d0);
    const out = await run(zs, 2);
    paint(views[0][0], out, 0, data.shape);
    paint(views[1][0], out, 1, data.shape);
    const blend = new Float32Array(n);
    for (let i = 0; i < n; i++) blend[i] = (1 - a) * ends[i] + a * ends[n + i];
    paint(views[2][0], blend, 0, data.shape);
    views.forEach(([, cap], j) => { cap.textContent = `${data.paths[j]}, α = ${a.toFixed(2)}`; });
  });
  const show = (a) => { alpha = a; input.value = a; root.dataset.alpha = a.toFixed(3); draw(); };
  const send = () => {  // the URL and the critic's marker take alpha on the 0.1 grid
    show(Math.round(alpha * 10) / 10);
    setStateValue('alpha', alpha);
  };
  const setPlaying = (on) => {
    play.textContent = on ? 'Pause' : '▶ Play';  // the pause sign is the CSS's (fonts often lack ⏸)
    play.classList.toggle('on', on);
    root.dataset.playing = on ? '1' : '0';
  };
  const stop = () => {
    if (playing !== null) cancelAnimationFrame(playing);
    playing = null; setPlaying(false);
  };
  play.onclick = () => {
    if (playing !== null) { stop(); send(); return; }  // α comes back only on Pause: no rerun while it plays
    if (alpha >= 1) heading = -1; else if (alpha <= 0) heading = 1;
    setPlaying(true);
    let passes = 0; let last = performance.now();
    const step = (t) => {
      if (!bar.isConnected) { playing = null; return; }  // a rerun rebuilt the panel: this walk ends with it
      // at most a tenth of a second a frame: a tab brought back from the background goes on where it was
      let a = alpha + heading * Math.min(0.1, Math.max(0, t - last) / 1000) / data.seconds;
      last = t;
      if (a >= 1 || a <= 0) {  // the end of a pass: turn round
        a = a >= 1 ? 1 : 0; heading = -heading; passes += 1;
        root.dataset.passes = String(passes);
      }
      show(a);
      playing = requestAnimationFrame(step);
    };
    playing = requestAnimationFrame(step);
  };
  input.addEventListener('input', () => { stop(); show(Number(input.value)); });
  input.addEventListener('change', send);
  setPlaying(false);
  root.dataset.alpha = alpha.toFixed(3);

  generator(data)
    .then(async (r) => {
      run = r;
      ends = await run(new Float32Array([...data.z0, ...data.z1]), 2);
      await draw();
      note.textContent = 'Drawn in this browser (onnxruntime-web): drag α, or press Play to walk from seed A to '
        + 'seed B and back until you press Pause.';
    })
    .catch((err) => giveUp(component, note, err));
  return (a) => { if (playing === null && Math.abs(a - alpha) > 1e-9) show(a); };
}

const VIEWS = { browser: browserPanel, server: serverPanel, grid: gridPanel, interp: interpPanel };

export default function (component) {
  const { data, parentElement } = component;
  if (!data) return;
  const root = parentElement.querySelector('.ls');
  root.classList.toggle('lg', data.mode === 'grid');
  root.classList.toggle('li', data.mode === 'interp');
  root.style.setProperty('--side', data.side ? `${data.side}px` : '');  // a slide's picture, sized to its stage
  // a rerun with the same model, z and directions keeps the panel (its canvases, its strips): the release's own
  // values coming back change nothing, Reset moves the sliders
  const sig = JSON.stringify([data.mode, data.model, data.z0, data.z1, data.dirs, data.names, data.caption,
                              data.main, data.eps]);
  const built = panels.get(root);
  if (built && built.sig === sig && data.mode !== 'server') {
    built.setValues(data.mode === 'interp' ? data.alpha : data.values);
    return;
  }
  root.innerHTML = '';
  root.dataset.mode = data.mode;
  panels.set(root, { sig, setValues: VIEWS[data.mode](component, root) });
}
