// The inpainting page's chain player (a Streamlit components-v2 component; Python side: ui/chain_player.py).
//
// Python sends a run's snapshots once: per picture (each sampler's chain 1 and its mean over chains) one PNG with
// every snapshot stacked top to bottom, and the traces of each sampler (log p(x, z), the score) per iteration.
// Play, the slider and the speed are the browser's own: a frame is a few sub-image copies and a marker drawn
// over the traces, with no message to the server, so the film plays at the chosen rate however busy the server is.

import { canvas, el, FONT } from '../kit/panel_kit.js';
import { held } from '../kit/own_runs.js';
import { rgba } from '../kit/pictures.js';

const players = new WeakMap();  // the panel's root -> its player (one per run: a new run builds anew)
const CHART = [540, 250];  // a chart's canvas, CSS pixels (it scales to its column)

// one picture's figure: its canvas (h x w) and caption; returns the canvas's 2-D context
function figure(parent, label, h, w) {
  const box = el('figure', 'pic', parent);
  const c = el('canvas', '', box);
  [c.width, c.height] = [w, h];
  c.setAttribute('role', 'img');
  c.setAttribute('aria-label', label);
  el('figcaption', '', box).textContent = label;
  return c.getContext('2d');
}

// one picture, returning draw(k): the server's run sends its snapshots stacked top to bottom in `pic.sheet`; a Run
// computed in this browser draws them from this page's own copy (kit/own_runs.js)
function picture(parent, pic, data) {
  const [c, h, w] = [data.channels, data.height, data.width];
  const ctx = figure(parent, pic.label, h, w);
  if (!pic.sheet) {
    const result = held(data.job)?.results.find((r) => r.method === pic.method);
    const frames = result?.[pic.which === 'mean' ? 'snapshot_mean' : 'snapshot_sample'];
    if (!frames) {  // a Run this page no longer holds: its film stayed with it
      el('p', 'gone', ctx.canvas.parentElement).textContent =
        'This Run\'s film stayed in the page that computed it: press Run to see it.';
      return () => {};
    }
    return (k) => ctx.putImageData(new ImageData(rgba(frames[Math.min(k, frames.length - 1)], [c, h, w]), w, h), 0, 0);
  }
  const sheet = new Image();
  let shown = 0;
  const draw = (k) => {
    shown = k;
    if (!sheet.complete || !sheet.naturalHeight) return;
    const i = Math.min(k, sheet.naturalHeight / h - 1);
    ctx.clearRect(0, 0, w, h);
    ctx.drawImage(sheet, 0, i * h, w, h, 0, 0, w, h);
  };
  sheet.onload = () => draw(shown);
  sheet.src = pic.sheet;
  return draw;
}

// one chart: each sampler's values against the iteration, and a dotted marker at the step shown; the legend gives
// each sampler's value there. The lines are drawn once, into a canvas of their own; a frame copies it and adds the
// marker.
function chart(parent, spec, series, n) {
  const ctx = canvas(el('div', 'chart', parent), CHART, spec.title);
  const [W, H] = CHART;
  const [l, r, t, b] = [72, W - 12, 28, H - 62];
  const X = (x) => l + ((x - 1) / Math.max(1, n - 1)) * (r - l);
  const Y = (y) => b - ((y - spec.lo) / (spec.hi - spec.lo)) * (b - t);
  const dpr = window.devicePixelRatio || 1;
  const back = document.createElement('canvas');
  [back.width, back.height] = [Math.round(W * dpr), Math.round(H * dpr)];
  const g = back.getContext('2d');
  g.scale(dpr, dpr);
  g.fillStyle = '#31333f'; g.font = FONT; g.textAlign = 'center';
  g.fillText(spec.title, (l + r) / 2, 16);
  g.fillText('iteration', (3 * r + l) / 4, b + 16);  // between the middle and the last tick
  g.textAlign = 'right';
  for (const y of [spec.lo, (spec.lo + spec.hi) / 2, spec.hi]) {
    g.fillText(Number(y.toPrecision(3)).toString(), l - 6, Y(y) + 5);
  }
  g.textAlign = 'center';
  for (const x of [1, Math.round((n + 1) / 2), n]) g.fillText(String(x), X(x), b + 16);
  g.save(); g.translate(12, (t + b) / 2); g.rotate(-Math.PI / 2); g.fillText(spec.ylabel, 0, 0); g.restore();
  g.strokeStyle = '#bbb'; g.lineWidth = 1; g.strokeRect(l, t, r - l, b - t);
  g.save(); g.beginPath(); g.rect(l, t, r - l, b - t); g.clip();
  for (const s of series) {
    const ys = s[spec.key];
    g.strokeStyle = s.colour; g.lineWidth = 2; g.beginPath();
    ys.forEach((y, i) => (i ? g.lineTo(X(i + 1), Y(y)) : g.moveTo(X(i + 1), Y(y))));
    g.stroke();
  }
  g.restore();
  return (step) => {
    ctx.save(); ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, back.width, back.height); ctx.drawImage(back, 0, 0);
    ctx.restore();
    ctx.setLineDash([3, 3]); ctx.strokeStyle = '#555'; ctx.lineWidth = 1;
    ctx.beginPath(); ctx.moveTo(X(step), t); ctx.lineTo(X(step), b); ctx.stroke(); ctx.setLineDash([]);
    ctx.font = FONT; ctx.textAlign = 'left';
    let [x, row] = [l - 50, 0];
    for (const s of series) {  // the legend: each sampler's value at the marker, wrapped onto a second row
      const v = s[spec.key][step - 1];
      const text = `— ${s.label}: ${Number.isFinite(v) ? v.toPrecision(4) : 'n/a'}`;
      const width = ctx.measureText(text).width + 14;
      if (x + width > r && x > l - 50) [x, row] = [l - 50, row + 1];
      ctx.fillStyle = s.colour; ctx.fillText(text, x, b + 38 + 18 * row);
      x += width;
    }
  };
}

function build(root, data) {
  const n = data.steps.length;
  const bar = el('div', 'bar', root);
  const button = el('button', 'play', bar);
  button.type = 'button';
  const input = el('input', '', bar);
  Object.assign(input, { type: 'range', min: 0, max: n - 1, step: 1, value: 0 });
  input.setAttribute('aria-label', 'Step through the chains');
  const label = el('span', 'at', bar);
  const speed = el('select', '', bar);
  speed.setAttribute('aria-label', 'Pictures per second');
  for (const fps of data.speeds) {
    const o = el('option', '', speed);
    Object.assign(o, { value: fps, textContent: `${fps} pictures/s`, selected: fps === data.fps });
  }
  const pics = el('div', 'pics', root);
  pics.style.gridTemplateColumns = `repeat(${data.pictures.length}, minmax(0, 1fr))`;
  const draws = data.pictures.map((p) => picture(pics, p, data));
  const charts = el('div', 'charts', root);
  const marks = data.charts.map((spec) => chart(charts, spec, data.series, data.iterations));
  const view = { id: data.id, k: Number(input.value), playing: false, due: 0 };

  const show = (k) => {
    view.k = k;
    input.value = String(k);
    label.textContent = `iteration ${data.steps[k]} of ${data.iterations}`;
    draws.forEach((d) => d(k));
    marks.forEach((m) => m(data.steps[k]));
    root.dataset.step = String(data.steps[k]);
  };
  const setPlaying = (on) => {
    view.playing = on;
    button.textContent = on ? 'Pause' : '▶ Play';  // the pause sign is the CSS's (fonts often lack ⏸)
    button.classList.toggle('on', on);
    root.dataset.playing = on ? '1' : '0';
  };
  const tick = (now) => {
    if (!view.playing) return;
    if (now >= view.due - 2) {
      // the next picture is due one interval after this one was: the display's frames (every 16.7 ms at 60 Hz)
      // then alternate short and long gaps around the interval instead of rounding every gap up
      const gap = 1000 / Number(speed.value);
      view.due = now - view.due > gap ? now + gap : view.due + gap;
      show(view.k + 1);
      if (view.k >= n - 1) { setPlaying(false); return; }
    }
    requestAnimationFrame(tick);
  };
  button.addEventListener('click', () => {
    if (view.playing) { setPlaying(false); return; }
    if (view.k >= n - 1) show(0);  // play again from the start
    setPlaying(true);
    view.due = performance.now() + 1000 / Number(speed.value);
    requestAnimationFrame(tick);
  });
  input.addEventListener('input', () => { setPlaying(false); show(Number(input.value)); });
  setPlaying(false);
  show(view.k);
  return view;
}

export default function (component) {
  const { data, parentElement } = component;
  if (!data) return;
  const root = parentElement.querySelector('.cp');
  const view = players.get(root);
  if (view && view.id === data.id) return;  // a rerun of the page: the film goes on where it is
  root.innerHTML = '';
  players.set(root, build(root, data));
}
