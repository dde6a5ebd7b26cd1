// The inpainting results' grid for a Run computed in this browser (a Streamlit components-v2 component; Python side:
// ui/browser_inpaint.py, fill_grid). The server sends what it knows of the Run (its job id, each cell's title and
// note with the server's own scores, the spreads' scale and colour map); the pictures are drawn here from the arrays
// this page computed and kept (kit/own_runs.js), so the server neither decodes them nor encodes a picture. Should the
// page no longer hold the job, the panel says so (state `missing`) and the server draws the grid itself.

import { el } from '../kit/panel_kit.js';
import { held } from '../kit/own_runs.js';
import { paint, rgba, spread, tinted } from '../kit/pictures.js';

const shown = new WeakMap();  // the panel's root -> the data it drew (a rerun with the same data changes nothing)

function picture(parent, pixels, shape, label) {
  const c = el('canvas', '', parent);
  c.setAttribute('role', 'img');
  c.setAttribute('aria-label', label);
  paint(c, pixels, shape);
}

function colourBar(parent, d) {
  const bar = el('div', 'scale', parent);
  const n = 256; const ramp = new Float32Array(n).map((_, i) => (d.vmax * i) / (n - 1));
  picture(bar, spread(ramp, [1, 1, n], d.vmax, d.stops), [1, 1, n], 'the spreads\' colour scale');
  const ticks = el('div', 'ticks', bar);
  for (const f of [0, 0.5, 1]) el('span', '', ticks).textContent = (d.vmax * f).toFixed(2);
  el('p', 'caption', parent).textContent = d.caption;
}

function draw(root, d, run) {
  root.innerHTML = '';
  const grid = el('div', 'cells', root);
  grid.style.setProperty('--n', String(Math.max(5, Math.min(7, d.cells.length))));
  const results = new Map(run.results.map((r) => [r.method, r]));
  for (const cell of d.cells) {
    const box = el('figure', 'cell', grid);
    const head = el('figcaption', '', box);
    el('b', '', head).textContent = cell.title;
    el('span', '', head).textContent = cell.note;
    if (cell.method === null) {  // the original, then the input with its missing pixels tinted
      picture(box, rgba(run.image, d.shape), d.shape, `${cell.title}`);
      picture(box, tinted(run.image, run.mask, d.shape, d.tint, d.alpha), d.shape, 'the input, missing in red');
    } else {
      const r = results.get(cell.method);
      picture(box, rgba(r.mean, d.shape), d.shape, `${cell.title}: its fill`);
      if (cell.spread) picture(box, spread(r.std, d.shape, d.vmax, d.stops), d.shape, `${cell.title}: its spread`);
    }
  }
  colourBar(root, d);
}

export default function (component) {
  const { data, parentElement } = component;
  if (!data) return;
  const root = parentElement.querySelector('.fg');
  if (shown.get(root) === data.id) return;
  const run = held(data.job);
  root.dataset.job = data.job;
  if (!run) {  // a page that no longer holds this Run's arrays: the server draws the grid
    root.dataset.state = 'missing';
    component.setStateValue('missing', data.job);
    return;
  }
  draw(root, data, run);
  shown.set(root, data.id);
  root.dataset.state = 'drawn';
}
