"""Tables and the figure of the three comparisons (docs/theory.md §7.4), from the rows of
:func:`lththeory.training.compare.run_comparisons`; no torch needed."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..plotting import accuracy_band, interval_errors, plt, save_figure

__all__ = ["comparison_figure", "comparison_tables"]

_TITLES = {
    "a": "(a) pruning from dense vs inside an ER mask",
    "b": "(b) static training of ER masks, four schemes",
    "c": "(c) edge-popup strong tickets: inside ER masks vs dense",
}


_MARKERS = {"": "o", "balanced": "s", "pyramidal": "v", "uniform": "D", "erk": "P"}


def _colour_key(comp: str, r: dict) -> str:
    """Colour by method in (a) (starts and schemes by line style and marker), else by scheme."""
    return r["method"] if comp == "a" else r["scheme"]


def _variant(r: dict) -> str:
    return f"{r['method']} from {r['start']}" + (f" ({r['scheme']})" if r["scheme"] else "")


def _acc(r: dict) -> str:
    lo, hi = r["ci_low"], r["ci_high"]
    if lo is None:
        return f"{r['accuracy']:.4f}"
    return f"{r['accuracy']:.4f} [{lo:.4f}, {hi:.4f}]"


def comparison_tables(rows: Sequence[dict]) -> str:
    """Markdown: the dense network's accuracy, then one table per comparison with accuracy (95 %
    t-interval over seeds), realised density, epochs, training FLOPs, weight updates and seconds."""
    dense = next(r for r in rows if r["comparison"] == "dense")
    out = [
        f"Dense network: test accuracy {_acc(dense)} over {dense['trials']} seeds, "
        f"{dense['train_flops']:.3g} training FLOPs, {dense['train_seconds']:.1f} s."
    ]
    for comp in ("a", "b", "c"):
        rs = [r for r in rows if r["comparison"] == comp]
        if not rs:
            continue
        out += [
            "",
            f"**{_TITLES[comp]}**",
            "",
            "| variant | target density | realised | test accuracy (95 % CI) | epochs | "
            "training FLOPs | weight updates | seconds |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in rs:
            out.append(
                f"| {_variant(r)} | {r['density']:g} | {r['realised_density']:.4g} | {_acc(r)} | "
                f"{r['epochs']:g} | {r['train_flops']:.3g} | {r['weight_updates']:.3g} | "
                f"{r['train_seconds']:.1f} |"
            )
    return "\n".join(out)


def comparison_figure(rows: Sequence[dict], path: Path | str, title: str = "") -> str:
    """Three panels (a), (b), (c): test accuracy against target density (log axis) per variant
    with 95 % t-intervals, the dense network's accuracy as a band."""
    dense = next(r for r in rows if r["comparison"] == "dense")
    fig, axes = plt.subplots(1, 3, figsize=(17, 5), sharey=True)
    for ax, comp in zip(axes, ("a", "b", "c"), strict=True):
        accuracy_band(ax, dense["accuracy"], dense["ci_low"], dense["ci_high"], "dense (95% CI)")
        rs = [r for r in rows if r["comparison"] == comp]
        labels = list(dict.fromkeys(_variant(r) for r in rs))
        colour_keys = list(dict.fromkeys(_colour_key(comp, r) for r in rs))
        for i, lab in enumerate(labels):
            pts = sorted((r for r in rs if _variant(r) == lab), key=lambda r: r["density"])
            x = np.array([r["density"] for r in pts])
            y = np.array([r["accuracy"] for r in pts])
            r0 = pts[0]
            ax.errorbar(
                x * (1 + 0.03 * (i - len(labels) / 2)),
                y,
                yerr=interval_errors(pts),
                color=f"C{colour_keys.index(_colour_key(comp, r0)) % 10}",
                ls="--" if r0["start"] == "dense" else "-",
                marker=_MARKERS.get(r0["scheme"], "^"),
                capsize=2,
                ms=4,
                label=lab,
            )
        ax.set_xscale("log")
        ax.set_xlabel("target density (log scale)")
        ax.set_title(_TITLES[comp], fontsize=10)
        ax.legend(fontsize=6.5)
    axes[0].set_ylabel("test accuracy")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return save_figure(fig, path)
