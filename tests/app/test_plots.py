"""ui.plots.readable: every text of a figure reaches the projector's 14 px, larger sizes stay, and no colour
bar appears where the figure had none."""
from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.plots import MIN_PX, TITLE_PX, readable


def test_every_text_reaches_the_floor_and_larger_sizes_stay():
    fig = make_subplots(rows=1, cols=2, subplot_titles=("left", "right"))
    fig.add_trace(go.Scatter(x=[0, 1], y=[1, 0], mode="markers+text", text=["a", "b"], name="points"), 1, 1)
    fig.add_trace(go.Heatmap(z=[[1, 2], [3, 4]], texttemplate="%{z}"), 1, 2)
    fig.update_layout(title="t", legend=dict(font=dict(size=10)))
    fig.add_annotation(text="a note", x=0, y=0, font_size=9)
    fig.update_xaxes(tickfont_size=20, row=1, col=1)
    readable(fig)
    lay = fig.layout
    assert lay.font.size == MIN_PX and lay.legend.font.size == MIN_PX and lay.title.font.size == TITLE_PX
    assert lay.xaxis.tickfont.size == 20 and lay.xaxis2.tickfont.size == MIN_PX  # larger kept, the rest raised
    assert lay.yaxis.tickfont.size == lay.yaxis2.tickfont.size == MIN_PX
    assert [a.font.size for a in lay.annotations] == [16, 16, MIN_PX]  # subplot titles are 16 px already
    assert fig.data[0].textfont.size == fig.data[1].textfont.size == MIN_PX
    assert fig.data[1].colorbar.tickfont.size == MIN_PX


def test_no_colour_bar_is_added_to_plain_markers():
    fig = go.Figure(go.Scatter(x=[0, 1], y=[0, 1], mode="markers", marker=dict(color="red")))
    readable(fig)
    assert not fig.data[0].marker.colorbar.to_plotly_json()
