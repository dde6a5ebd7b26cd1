"""The GAN training page's figures: per objective, the critic as a heat map under the data and the generated points;
and both objectives' bounds and distances against the steps. Computing in ``dgm_core.demos.gan``."""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots

from dgm_core.demos.gan import Race
from dgm_core.models.critics import KINDS
from dgm_core.models.toy_gan import BOX, TOYS, sample_toy
from ui.critics_view import COLOURS, P_COLOUR, SHORT

DATA_N = 300  # data points drawn under each panel


@lru_cache(maxsize=len(TOYS))
def _data(toy: str) -> np.ndarray:
    """The data points a panel draws under the generated ones: the same every frame, drawn once per toy."""
    return sample_toy(toy, DATA_N, torch.Generator().manual_seed(7)).numpy()


def field_figure(race: Race, kind: str) -> go.Figure:
    """The critic T as a heat map over the toy's box, the data (black) and the generated points (the critic's
    colour) at this frame."""
    gan = race.gans[kind]
    xs, ys, t = gan.critic_map(30)
    data = _data(race.toy)
    pts = gan.points(race.z)
    x0, x1, y0, y1 = BOX[race.toy]
    fig = go.Figure(go.Heatmap(x=xs, y=ys, z=t, colorscale="Greys", reversescale=True, showscale=False, opacity=0.45,
                               hovertemplate="critic T = %{z:.2f}<extra></extra>"))
    fig.add_scatter(x=data[:, 0], y=data[:, 1], mode="markers", name="data", hoverinfo="skip",
                    marker={"color": P_COLOUR, "size": 4, "opacity": 0.5})
    fig.add_scatter(x=pts[:, 0], y=pts[:, 1], mode="markers", name="generated", hoverinfo="skip",
                    marker={"color": COLOURS[kind], "size": 5, "opacity": 0.8})
    fig.update_xaxes(range=[x0, x1], showgrid=False, zeroline=False)
    fig.update_yaxes(range=[y0, y1], showgrid=False, zeroline=False, scaleanchor="x", scaleratio=1)
    fig.update_layout(title=f"{SHORT[kind]} critic: step {gan.steps}", height=360, showlegend=False,
                      margin={"l": 10, "r": 10, "t": 40, "b": 10}, template="plotly_white")
    return fig


def history_figure(race: Race) -> go.Figure:
    """Both bounds, and how far the generated points are from the data, against the steps."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("the critic's bound", "generated points' distance to the data"),
                        horizontal_spacing=0.1)
    for kind in KINDS:
        fr = race.frames[kind]
        steps = [f.step for f in fr]
        fig.add_scatter(x=steps[1:], y=[f.estimate for f in fr[1:]], mode="lines", name=SHORT[kind],
                        line={"color": COLOURS[kind]}, legendgroup=kind, row=1, col=1)
        fig.add_scatter(x=steps, y=[f.off for f in fr], mode="lines", name=SHORT[kind], showlegend=False,
                        line={"color": COLOURS[kind]}, legendgroup=kind, row=1, col=2)
    fig.add_hline(y=2, line={"dash": "dot", "color": COLOURS["hellinger"]}, row=1, col=1,
                  annotation_text="Hellinger² ceiling 2", annotation_position="bottom right")
    fig.update_xaxes(title_text="generator steps")
    fig.update_layout(height=300, margin={"l": 10, "r": 10, "t": 40, "b": 10}, template="plotly_white",
                      legend={"orientation": "h", "y": -0.35, "x": 0})
    return fig
