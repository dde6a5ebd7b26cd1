"""Every plotly chart of the app goes through ``show``: text a projector can carry (14 px at least, the
tick labels included) on every page alike.

Streamlit's chart theme writes 12 px tick and legend fonts into each figure it draws, over any template,
so the sizes are set on the figure itself, never below what a figure already asks for.
"""
from __future__ import annotations

import plotly.graph_objects as go

MIN_PX = 14  # plot text on a 1280x720 projector: ticks, legends, axis titles, notes
TITLE_PX = 16


def _has_scale(trace, owner) -> bool:
    """Whether plotly draws a colour bar for ``owner`` (a heatmap-like trace, or a marker with a scale)."""
    if owner is trace:
        return "showscale" in trace and trace.showscale is not False and trace.type not in ("scatter", "scattergl")
    return bool(getattr(owner, "showscale", False))


def readable(fig: go.Figure, scale: float = 1.0) -> go.Figure:
    """Raise every text of ``fig`` to the projector sizes (``scale`` times them), in place; returns it."""
    if getattr(fig, "_dgm_frozen", False):  # done once already, and shared: never changed again
        return fig
    lay = fig.layout

    def _at_least(size: float | None, floor: float = MIN_PX) -> int:
        return int(max(size or 0, floor * scale))

    fig.update_layout(font_size=_at_least(lay.font.size), legend_font_size=_at_least(lay.legend.font.size),
                      legend_title_font_size=_at_least(lay.legend.title.font.size))
    if lay.title.text:
        fig.update_layout(title_font_size=_at_least(lay.title.font.size, TITLE_PX))
    fig.for_each_xaxis(lambda a: a.update(tickfont_size=_at_least(a.tickfont.size),
                                          title_font_size=_at_least(a.title.font.size)))
    fig.for_each_yaxis(lambda a: a.update(tickfont_size=_at_least(a.tickfont.size),
                                          title_font_size=_at_least(a.title.font.size)))
    for note in lay.annotations:  # subplot titles and labels drawn on the plot
        note.font.size = _at_least(note.font.size)
    for trace in fig.data:
        if "textfont" in trace:  # numbers written on a heatmap or beside points
            trace.textfont.size = _at_least(trace.textfont.size)
        for owner in (trace, getattr(trace, "marker", None)):  # a colour scale drawn beside the plot
            if owner is not None and "colorbar" in owner and _has_scale(trace, owner):
                owner.colorbar.tickfont.size = _at_least(owner.colorbar.tickfont.size)
                owner.colorbar.title.font.size = _at_least(owner.colorbar.title.font.size)
    return fig


def frozen(fig: go.Figure) -> go.Figure:
    """``fig`` made readable once and marked final: a figure kept for every session (a server resource) that
    ``show`` then sends as it is, without going over it again on each view. Never change it afterwards."""
    readable(fig)
    fig._dgm_frozen = True
    return fig


def show(where, fig: go.Figure, scale: float = 1.0, **kwargs):
    """``where.plotly_chart(fig, ...)`` with the projector's text sizes (``where``: ``st``, a column or a
    placeholder; ``scale``: a slide's on a larger projector, ``ui.slides.fig``); returns what plotly_chart returns
    (the selection event of a chart with ``on_select``).

    A titled figure also gets its title as page text above it, which only a phone shows (ui/app.css): there the
    figure's own title, one line of SVG, would run past the plot's edge, where the page's text wraps."""
    fig = readable(fig, scale)
    if fig.layout.title.text:
        where = where.container()
        where.markdown(f'<div class="dgm-plot-title">{fig.layout.title.text}</div>', unsafe_allow_html=True)
    return where.plotly_chart(fig, **kwargs)
