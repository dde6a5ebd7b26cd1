"""Did the chains mix? Acceptance, accepted moves, ArviZ's ESS of the mean and split-R̂ (Vehtari et al., arXiv
1903.08008; one chain is split in halves). T iterations, N images, S chains, P tracked pixels.
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch

PIXELS = 32  # missing pixels per image whose trace is kept for the pixel ESS
RHAT_OK = 1.1  # Vehtari et al. suggest 1.01 for final inference; 1.1 is the classic threshold
MIN_MOVES = 10  # a median chain that moved fewer times after burn-in did not explore
MIN_ESS = 100  # effective draws of log p(x, z) below which the fill is noisy


def tracked_pixels(mask: torch.Tensor, shape: tuple[int, ...], p: int = PIXELS) -> torch.Tensor:
    """(N, p) long: flat (C*H*W) indices of ``p`` evenly spread missing entries per image (repeats if fewer)."""
    missing = ~mask.expand(mask.shape[0], *shape).reshape(mask.shape[0], -1)  # (N, C*H*W)
    out = []
    for row in missing:
        idx = row.nonzero().view(-1)
        if idx.numel() == 0:
            idx = torch.zeros(1, dtype=torch.long, device=mask.device)
        out.append(idx[torch.linspace(0, idx.numel() - 1, p, device=mask.device).round().long()])
    return torch.stack(out)


def _az():
    from arviz_stats.base import array_stats  # imported on first use: it pulls in scipy.signal
    return array_stats


def ess(a: np.ndarray) -> np.ndarray:
    """ESS of the mean of draws a: (..., S, T) -> (...); summed over chains."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return _az().ess(a, chain_axis=-2, draw_axis=-1, method="mean")


def split_rhat(a: np.ndarray) -> np.ndarray:
    """Split-R̂ of draws a: (..., S, T) -> (...). Chains that never change and disagree give inf."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        if a.shape[-2] == 1:  # one chain: its two halves are the chains
            half = a.shape[-1] // 2
            a = np.stack([a[..., 0, :half], a[..., 0, half:2 * half]], -2)
            return _az().rhat(a, chain_axis=-2, draw_axis=-1, method="identity")
        return _az().rhat(a, chain_axis=-2, draw_axis=-1, method="split")


def chain_diagnostics(log_joint: torch.Tensor, accepted: torch.Tensor, pixels: torch.Tensor | None,
                      burn_in: int, exact: bool = True) -> dict[str, Any]:
    """ChainDiagnostics' summary fields after ``burn_in``. log_joint, accepted: (T, N, S); pixels: (T, N, S, P)."""
    keep = slice(burn_in, None) if log_joint.shape[0] - burn_in >= 4 else slice(None)
    acc = accepted[keep].float()  # (T', N, S)
    lj = log_joint[keep].permute(1, 2, 0).double().cpu().numpy()  # (N, S, T')
    out: dict[str, Any] = {
        "acceptance_per_chain": acc.mean(0),
        "acceptance": acc.mean((0, 2)),
        "accepted_moves": acc.sum(0).median(1).values,
        "ess_log_joint": torch.from_numpy(ess(lj)),
        "rhat": torch.from_numpy(split_rhat(lj)),
    }
    if pixels is not None:
        px = pixels[keep].permute(1, 3, 2, 0).double().cpu().numpy()  # (N, P, S, T')
        e = ess(px)
        # a pixel whose every chain stayed put (no accepted move): each chain is one draw, whatever ArviZ
        # makes of a constant series
        e = np.where(px.std(-1).max(-1) == 0, px.shape[-2], e)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an image whose tracked pixels are all stuck
            out["ess_pixels"] = torch.from_numpy(np.nanmedian(e, -1))
            out["rhat_pixels"] = torch.from_numpy(np.nanmedian(split_rhat(px), -1))
    draws = acc.shape[0]
    out["verdict"] = [verdict(draws, acc.shape[2], float(out["acceptance"][i]), float(out["accepted_moves"][i]),
                              float(out["ess_log_joint"][i]), float(out["rhat"][i]), exact)
                      for i in range(acc.shape[1])]
    return out


def verdict(draws: int, chains: int, acceptance: float, moves: float, ess_lj: float, rhat: float,
            exact: bool = True) -> str:
    """One sentence a student can act on: did these chains mix, and if not, what shows it."""
    r = "∞" if not np.isfinite(rhat) else f"{rhat:.2f}"
    if not exact:
        if rhat < RHAT_OK:
            return (f"its chains agree (split-R̂ {r}), but it keeps every encoder draw without a test, so "
                    "they settle on the encoder's approximation of p(x_m | x_o), not on the model's own conditional.")
        return f"its chains have not settled (split-R̂ {r} ≥ {RHAT_OK}), and what they would settle on is approximate."
    if moves < MIN_MOVES:
        return (f"these chains did not mix: a median chain accepted {moves:.0f} of {draws} proposals after "
                f"burn-in (acceptance {acceptance:.1%}), so the fill shows a handful of states near where the "
                "chains started, not the model's conditional.")
    if not rhat < RHAT_OK:
        return (f"these chains did not mix: split-R̂ = {r} ≥ {RHAT_OK}, the {chains} chains still disagree with "
                "each other; run longer or use a kernel that moves further.")
    if ess_lj < MIN_ESS:
        return (f"these chains mix slowly: {ess_lj:.0f} effective draws of log p(x, z) out of "
                f"{draws * chains}; the fill is noisier than the draw count suggests.")
    return (f"these chains mixed: split-R̂ {r} < {RHAT_OK}, {ess_lj:.0f} effective draws of log p(x, z) "
            f"(acceptance {acceptance:.0%}).")
