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

const runtimes = {};  // the runtime's folder URL -> Promise of the ort module (loaded once per page)
const sessions = {};  // model URL -> Promise of its InferenceSession
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
  const [dirPath, modelPath] = [new URL(data.runtime, window.location.href).href,
                                new URL(data.model, window.location.href).href];
  const main = document.createElement('canvas');
  [main.width, main.height] = [data.shape[2], data.shape[1]];
  main.className = 'main';
  main.setAttribute('role', 'img');
  main.setAttribute('aria-label', 'the generated image');
  root.querySelector('.pic').prepend(main);
  const cap = root.querySelector('.cap');
  const note = root.querySelector('.note');
  const rows = root.querySelector('.rows');
  cap.textContent = data.caption;
  note.textContent = 'Loading the generator into this browser…';

  const z = () => {
    const out = new Float32Array(data.z0);
    for (let d = 0; d < k; d++) for (let i = 0; i < out.length; i++) out[i] += values[d] * data.dirs[d][i];
    return out;
  };
  let chain = Promise.resolve();  // one run at a time on the session
  let sess = null; let ort = null;
  const run = (zs, batch) => {
    const p = chain.then(() => sess.run({ z: new ort.Tensor('float32', zs, [batch, data.z0.length]) }));
    chain = p.catch(() => {});
    return p.then((r) => r.image.data);
  };

  const inputs = []; const thumbs = []; const shown = [];
  const nearest = (v) => data.eps.reduce((b, e, i) => (Math.abs(e - v) < Math.abs(data.eps[b] - v) ? i : b), 0);
  data.names.forEach((name, d) => {
    const row = document.createElement('div');
    row.className = 'row';
    const label = document.createElement('label');
    const title = document.createElement('span');
    title.textContent = name;
    const val = document.createElement('span');
    val.textContent = sign(values[d]);
    label.append(title, val);
    const input = document.createElement('input');
    input.type = 'range'; input.min = data.lo; input.max = data.hi; input.step = data.step;
    input.value = values[d];
    input.setAttribute('aria-label', name);
    const strip = document.createElement('div');
    strip.className = 'strip';
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
    row.append(label, input, strip);
    rows.appendChild(row);
  });
  const mark = (d) => thumbs[d].forEach((t, j) => t.classList.toggle('on', j === nearest(values[d])));

  let busy = false; let again = false; let times = [];
  async function draw() {
    if (!sess) return;
    if (busy) { again = true; return; }
    busy = true;
    try {
      do {
        again = false;
        const t0 = performance.now();
        const out = await run(z(), 1);
        paint(main, out, 0, data.shape);
        times = times.concat(performance.now() - t0).slice(-30);
      } while (again);
      const ms = times.slice().sort((a, b) => a - b)[Math.floor(times.length / 2)];
      note.textContent = `Drawn in this browser (onnxruntime-web): ${ms.toFixed(1)} ms a picture.`;
    } finally { busy = false; }
  }
  async function strips() {
    if (!sess) return;
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
    // the URL follows at once (the format the server writes, which its rerun then confirms)
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

  runtime(dirPath)
    .then((m) => { ort = m; return session(ort, modelPath); })
    .then((s) => { sess = s; return draw(); })
    .then(() => strips())
    .catch((err) => {
      note.textContent = 'This browser cannot run the generator (' + err.message + '); asking the server for frames…';
      setStateValue('fallback', String(err.message || err));
    });
  return setValues;
}

function serverPanel(component, root) {
  const { data, setStateValue } = component;
  const main = document.createElement('img');
  main.className = 'main';
  main.alt = 'the generated image';
  root.querySelector('.pic').prepend(main);
  const cap = root.querySelector('.cap');
  const rows = root.querySelector('.rows');
  root.querySelector('.note').textContent = data.note || '';
  const values = data.values.slice();
  main.src = data.main;
  cap.textContent = data.caption;
  const nearest = (v) => data.eps.reduce((b, e, i) => (Math.abs(e - v) < Math.abs(data.eps[b] - v) ? i : b), 0);
  data.names.forEach((name, d) => {
    const row = document.createElement('div');
    row.className = 'row';
    const label = document.createElement('label');
    const title = document.createElement('span');
    title.textContent = name;
    const val = document.createElement('span');
    label.append(title, val);
    const input = document.createElement('input');
    input.type = 'range'; input.min = 0; input.max = data.eps.length - 1; input.step = 1;
    input.value = nearest(values[d]);
    input.setAttribute('aria-label', name);
    const strip = document.createElement('div');
    strip.className = 'strip';
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
    row.append(label, input, strip);
    rows.appendChild(row);
  });
}

export default function (component) {
  const { data, parentElement } = component;
  if (!data) return;
  const root = parentElement.querySelector('.ls');
  // a rerun with the same model, z and directions keeps the panel (its canvases, its strips): the release's own
  // values coming back change nothing, Reset moves the sliders
  const sig = JSON.stringify([data.mode, data.model, data.z0, data.dirs, data.names, data.caption, data.main]);
  const built = panels.get(root);
  if (built && built.sig === sig && data.mode === 'browser') {
    built.setValues(data.values);
    return;
  }
  root.querySelector('.pic').querySelectorAll('.main').forEach((el) => el.remove());
  root.querySelector('.rows').innerHTML = '';
  root.dataset.mode = data.mode;
  panels.set(root, { sig, setValues: (data.mode === 'browser' ? browserPanel : serverPanel)(component, root) });
}
