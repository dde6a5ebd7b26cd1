"""Sliders that show frames while dragged (a components-v2 component): Streamlit's slider reports only on release, so
the server sends each direction's strip of frames and the browser swaps the picture on every ``input`` event;
on release the new values come back, the strips are redrawn and the URL follows.
"""
from __future__ import annotations

import base64
from collections.abc import Callable

import streamlit as st
import torch

from ui.imaging import png_bytes, to_pil

HTML = '<div class="ls"><div class="pic"><img class="main" alt="the generated image"/><div class="cap"></div></div>' \
       '<div class="rows"></div></div>'
CSS = """
.ls { display: flex; gap: 1.5rem; align-items: flex-start; font-family: var(--st-font, sans-serif);
      color: var(--st-text-color, #262730); }
.pic { flex: 0 0 auto; text-align: center; }
.main { width: 256px; height: 256px; image-rendering: pixelated; border: 1px solid #ccc; }
.cap { font-size: 0.85rem; opacity: 0.75; margin-top: 0.2rem; max-width: 256px; }
.rows { flex: 1 1 auto; display: flex; flex-direction: column; gap: 0.55rem; min-width: 0; }
.row label { display: flex; justify-content: space-between; font-size: 0.9rem; }
.row input { width: 100%; accent-color: #0072B2; margin: 0.15rem 0; }
.strip { display: flex; gap: 1px; }
.strip img { flex: 1 1 0; min-width: 0; image-rendering: pixelated; cursor: pointer; opacity: 0.9; }
.strip img.on { outline: 2px solid #D55E00; opacity: 1; }
"""
JS = """
export default function(component) {
  const { data, setStateValue, parentElement } = component;
  if (!data) return;
  const root = parentElement.querySelector('.ls');
  const main = root.querySelector('.main');
  const cap = root.querySelector('.cap');
  const rows = root.querySelector('.rows');
  const values = data.values.slice();
  main.src = data.main;
  cap.textContent = data.caption;
  rows.innerHTML = '';
  const nearest = (v) => data.eps.reduce((b, e, i) => Math.abs(e - v) < Math.abs(data.eps[b] - v) ? i : b, 0);
  data.names.forEach((name, d) => {
    const row = document.createElement('div');
    row.className = 'row';
    const label = document.createElement('label');
    const title = document.createElement('span');
    title.textContent = name;
    const shown = document.createElement('span');
    label.append(title, shown);
    const input = document.createElement('input');
    input.type = 'range'; input.min = 0; input.max = data.eps.length - 1; input.step = 1;
    input.value = nearest(values[d]);
    input.setAttribute('aria-label', name);
    input.dataset.direction = d;
    const strip = document.createElement('div');
    strip.className = 'strip';
    const thumbs = data.frames[d].map((src, i) => {
      const im = document.createElement('img');
      im.src = src; im.title = name + ' = ' + data.eps[i];
      im.onclick = () => { input.value = i; show(i); send(); };
      strip.appendChild(im);
      return im;
    });
    const show = (i) => {
      main.src = data.frames[d][i];
      shown.textContent = (data.eps[i] >= 0 ? '+' : '') + data.eps[i].toFixed(1);
      thumbs.forEach((t, j) => t.classList.toggle('on', j === i));
    };
    const send = () => { values[d] = data.eps[Number(input.value)]; setStateValue('values', values.slice()); };
    input.addEventListener('input', () => show(Number(input.value)));
    input.addEventListener('change', send);
    shown.textContent = (values[d] >= 0 ? '+' : '') + Number(values[d]).toFixed(1);
    thumbs[nearest(values[d])].classList.add('on');
    row.append(label, input, strip);
    rows.appendChild(row);
  });
}
"""

_panel = st.components.v2.component("dgm_latent_sliders", html=HTML, css=CSS, js=JS)


def data_url(x: torch.Tensor) -> str:
    """(C, H, W) in [0, 1] -> a PNG data URL at the image's own size (the browser scales it up)."""
    return "data:image/png;base64," + base64.b64encode(png_bytes(to_pil(x))).decode()


def latent_sliders(*, main: torch.Tensor, caption: str, names: list[str], values: list[float],
                   strips: list[torch.Tensor], eps: tuple[float, ...], key: str,
                   on_change: Callable[[], None]) -> None:
    """``on_change`` runs on release, before the rerun; the values are in ``st.session_state[key]["values"]``."""
    _panel(key=key, data={"main": data_url(main), "caption": caption, "names": names, "values": list(values),
                          "eps": list(eps), "frames": [[data_url(f) for f in strip] for strip in strips]},
           default={"values": list(values)}, on_values_change=on_change)
