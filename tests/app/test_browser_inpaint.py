"""The browser's inpainting job without a browser (server.inpaint_job, ui.browser_inpaint): the panel's typed arrays
decoded as sent, and one Run's result made of the browser's rows and the server's (its order, where each ran, the
caption that says so)."""
import numpy as np
import pytest
import torch

from dgm_core.demos import inpainting
from dgm_core.imputation import FillDiagnostics, Imputation
from server import border, inpaint_job, schema
from server.schema import typed
from ui import browser_inpaint as bi


@pytest.mark.parametrize("kind", ["f32", "f64", "u8"])
def test_a_typed_array_arrives_as_its_values(kind):
    """As the panel sends it ({kind: base64}, schema.typed's layout) or as a plain list, through the border."""
    values = np.random.default_rng(0).random(1000) * (255 if kind == "u8" else 1e3)
    a = values.astype(border.DTYPE[kind])
    n = lambda e, m: a.size  # noqa: E731
    assert np.array_equal(schema.array(schema.Array(kind, n), typed(a, kind), None, "", "x"), a)
    assert np.array_equal(schema.array(schema.Array(None, n), a.tolist(), None, "", "x"), a)


def _row(method: str, seconds: float) -> inpainting.Row:
    x = torch.zeros(1, 1, 4, 4)
    res = Imputation(method=method, mean=x, samples=x[:, None], std=x, diagnostics=FillDiagnostics(), seconds=seconds)
    return res, {"MSE": 0.0}, None


def test_one_run_is_made_of_the_browsers_rows_and_the_servers_in_the_methods_order():
    image, mask = torch.zeros(1, 4, 4), torch.ones(4, 4, dtype=torch.bool)
    methods = ["mwg", "dmfa", "neighbour_fill", "mfa"]
    out = inpaint_job.merged(methods, image, mask, dataset="mnist", settings=inpainting.Settings(), what="a test",
                    parts=[("browser", [_row("neighbour_fill", 0.05), _row("mwg", 2.5)], []),
                           ("server", [_row("mfa", 0.01), _row("dmfa", 0.02)], ["one sentence"])])
    assert [r[0].method for r in out.rows] == methods and out.methods == methods
    assert out.computed_in == {"mwg": "browser", "dmfa": "server", "neighbour_fill": "browser", "mfa": "server"}
    assert out.problems == ["one sentence"] and out.seconds["mwg"] == 2.5
    assert bi.where_caption(out) == ("Computed in this browser: MWG, Neighbour fill (2.5 s); on the server: DMFA, "
                                     "MFA conditional (classical) (0.03 s).")
    server_only = inpaint_job.merged(["dmfa"], image, mask, dataset="mnist", settings=inpainting.Settings(), what="",
                            parts=[("server", [_row("dmfa", 0.02)], [])])
    assert bi.where_caption(server_only) == ""


def test_before_a_run_the_page_says_where_each_method_will_compute():
    assert bi.plan_caption(["mwg", "neighbour_fill"], ["dmfa"]) == ("Run computes MWG, Neighbour fill in this browser, "
                                                                     "and DMFA on the server.")
    assert bi.plan_caption(["miwae"], []) == "Run computes MIWAE importance sampling in this browser."


def test_the_page_says_what_a_first_run_downloads():
    """The runtime's files and the chosen methods' model files, as the cards record their bytes."""
    from dgm_core import pretrained
    text = bi.download_caption("mnist", ["mwg", "dmfa", "neighbour_fill"])
    card_bytes = sum(pretrained.load_card(n).browser["inpaint"]["bytes"] for n in ("vae-mnist", "dmfa-mnist"))
    assert f"about {(bi.RUNTIME_BYTES + card_bytes) / 1e6:.0f} MB" in text
    assert bi.download_caption("mnist", ["neighbour_fill"]).startswith(
        f"Its first Run in this browser downloads about {bi.RUNTIME_BYTES / 1e6:.0f} MB")
