"""Writes notebooks/01_weak_tickets.ipynb (run from the repository root or from notebooks/)."""

from pathlib import Path

import nbformat as nbf

nb = nbf.v4.new_notebook()
md = nbf.v4.new_markdown_cell
code = nbf.v4.new_code_cell
nb.cells = [
    md("""# Claim 1: weak tickets in random (ER) source networks

Theorem W (our formulation, `proofs/weak_tickets.md`, docs/theory.md §3): a random ER source whose layers
hold `k` copies of every target neuron contains a subnetwork that equals the target on the box, with
probability at least `1 - delta`, once `k` meets conditions of the form `k >= ln(...) * rho(p)` with
`rho(p) = 1/ln(1/(1-p))`. Theorem W' (count thresholds) bounds the same construction's failure sharply.
This notebook measures the construction's success probability over widths and sparsities with the exact
count-level simulator, draws both theorems' widths on top, compares them with the measured frontier, and
measures how the frontier scales with `p` and with the first target layer's fan-in `s`.

Set `LTH_NOTEBOOK_QUICK=1` for a small grid (the test suite does); `LTH_FIGURES_DIR` chooses where the figure goes."""),
    code("""import os
from pathlib import Path

import numpy as np

import lththeory
from lththeory.experiments.weak import EXPERIMENT as weak_exp
from lththeory.stats import fit_power_law, float_key, frontier, point_seedseq
from lththeory.weak import (
    construct,
    required_width,
    rho,
    sample_source,
    sharp_common_width,
    theorem_w_common_width,
)

QUICK = os.environ.get("LTH_NOTEBOOK_QUICK", "0") == "1"
FIG_DIR = Path(os.environ.get("LTH_FIGURES_DIR", "../figures"))
FIG_DIR.mkdir(parents=True, exist_ok=True)
print("lththeory", lththeory.__version__, "| quick grid:", QUICK)"""),
    md("""## One explicit construction

A 4-8-8-1 target, a source with `k = 60` copies per neuron at density 0.5: the construction checks
validity layer by layer and returns the ticket, which we evaluate against the target on random points and
the corners of the box."""),
    code("""target = lththeory.random_target((4, 8, 8, 1), seed=0)
source = sample_source(target, k=60, densities=0.5, rng=np.random.default_rng(1))
result = construct(target, source)
x = lththeory.box_points(4, 2000, rng=np.random.default_rng(2))
print("success:", result.success)
print("max |ticket - target| on 2000 points + 16 corners:", np.abs(result.ticket.network(x) - target(x)).max())
print("ticket weights:", result.ticket.size, "of", sum(m.nnz for m in source.masks), "mask edges;",
      "target weights:", target.num_weights())"""),
    md("""## The phase diagram

Every grid point is `trials` independent sources; the success rate comes with a 95 % Clopper-Pearson
interval in the table. Two theory widths are drawn on top: Theorem W's (every copy valid, the paper's
shape) and Theorem W''s (count thresholds, docs/theory.md §3.6), each the smallest common `k` whose
failure bound is at most `delta`."""),
    code("""widths = [int(round(2 ** (e / 2))) for e in range(2, 35, 1 if not QUICK else 3)]
sparsities = [0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99] if not QUICK else [0.5, 0.9, 0.99]
config = weak_exp.make_config(target="4,8,8,1", method="counts", trials=300 if not QUICK else 60,
                              seed=0, delta=0.1)
rows = weak_exp.run_grid(config, sparsity=sparsities, width=widths)
for r in rows[:3]:
    print({c: r[c] for c in ("width", "sparsity", "trials", "successes", "rate", "ci_low", "ci_high",
                             "theory_width", "sharp_width", "sharp_bound_success")})"""),
    code("""fig_path = weak_exp.plot(rows, config, FIG_DIR)[0]
os.replace(fig_path, FIG_DIR / "weak_phase.png")
print(weak_exp.summarize(rows, config, FIG_DIR, [str(FIG_DIR / "weak_phase.png")], 0.0))"""),
    md("""![phase diagram](../figures/weak_phase.png)

## Theorems W and W' against the measured frontier

The frontier is the smallest `k` whose measured rate reaches `1 - delta`, found by bisection on `k` with
the count chain (`required_width`; each `k` is its own measurement of `trials` trials). Theorem W' is a
bound, so the true frontier never exceeds its width; the ratio says how much it gives away. Theorem W
demands that *every* copy be valid and gives away a factor that grows without bound as `p -> 0`."""),
    code("""trials = 2000 if not QUICK else 300
table = [0.5, 0.9, 0.99, 0.999] if not QUICK else [0.5, 0.99]
for dense_first in (False, True):
    print("dense first layer" if dense_first else "every layer at density p")
    for s in table:
        dens = ([1.0] if dense_first else [1 - s]) + [1 - s] * 3
        kw, kw2 = theorem_w_common_width(target, dens, 0.1), sharp_common_width(target, dens, 0.1)
        r = required_width(target, dens, 0.1, point_seedseq(2023, dense_first, float_key(s)),
                           trials=trials, guess=kw2)
        print(f"  sparsity {s}: frontier {r.width} (rate {r.at.rate:.3f}, one below {r.below.rate:.3f}); "
              f"W' {kw2} = {kw2 / r.width:.2f}x; W {kw} = {kw / r.width:.1f}x")"""),
    md("""## The fan-in law (a prediction, proofs/weak_tickets.md §9)

With every layer at density `p`, a first-layer copy needs an edge from each of its `s` inputs' valid
copies and one onwards, and the balance of these gives `k* ~ (1/p)^(2 - 1/(s+1))` up to logarithms as
`p -> 0`: the exponent depends on the first target layer's fan-in `s`, not on `rho(p)`. We measure it on
8-8-8-1 targets whose first-layer neurons read exactly `s` inputs."""),
    code("""import matplotlib.pyplot as plt

fan_sp = [0.9, 0.95, 0.98, 0.99, 0.995, 0.998, 0.999] if not QUICK else [0.9, 0.99, 0.999]
fig, ax = plt.subplots(figsize=(5.5, 4))
for s in (1, 2, 4, 8):
    t_s = lththeory.random_target((8, 8, 8, 1), seed=np.random.default_rng(s), first_layer_support=s)
    ks = [required_width(t_s, 1 - x, 0.1, point_seedseq(2023, 2, s, float_key(x)), trials=trials).width for x in fan_sp]
    fit = fit_power_law(1 / (1 - np.array(fan_sp)), np.array(ks))
    print(f"s = {s}: slope {fit.slope:.2f} [{fit.slope_low:.2f}, {fit.slope_high:.2f}], "
          f"predicted (p -> 0) {2 - 1 / (s + 1):.2f}")
    ax.loglog(1 / (1 - np.array(fan_sp)), ks, "o-", label=f"s = {s}: b = {fit.slope:.2f}")
ax.set_xlabel("1/p")
ax.set_ylabel("measured frontier k (rate >= 0.9)")
ax.set_title("fan-in law: k ~ (1/p)^b, predicted b = 2 - 1/(s+1)")
ax.legend()
fig.tight_layout()
fig.savefig(FIG_DIR / "weak_fan_in.png", dpi=120)"""),
    md("""![fan-in law](../figures/weak_fan_in.png)

Keeping the first layer dense (`dense_first_layer=True`, `--dense-first-layer` on the command line)
removes the input-edge factor, and the frontier grows like `rho(p)`, claim 1's factor:"""),
    code("""config_dense = dict(config, dense_first_layer=True)
rows_dense = weak_exp.run_grid(config_dense, sparsity=sparsities, width=widths)
front = frontier(rows_dense, 0.9)
fit = fit_power_law(np.array([rho(1 - s) for s in sparsities]), np.array([front[s] for s in sparsities]))
print("dense first layer:", fit.label())"""),
]
nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
here = Path(__file__).resolve().parent
nbf.write(nb, here / "01_weak_tickets.ipynb")
print("wrote", here / "01_weak_tickets.ipynb")
