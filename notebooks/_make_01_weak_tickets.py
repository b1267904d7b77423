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
`rho(p) = 1/ln(1/(1-p))`. This notebook measures the success probability of the construction over a grid
of widths and sparsities with the exact count-level simulator, draws Theorem W's width on top, and fits the
measured frontier against `rho(p)`.

Set `LTH_NOTEBOOK_QUICK=1` for a small grid (the test suite does); `LTH_FIGURES_DIR` chooses where the figure goes."""),
    code("""import os
from pathlib import Path

import numpy as np

import lththeory
from lththeory.experiments.weak import EXPERIMENT as weak_exp
from lththeory.stats import fit_power_law, frontier
from lththeory.weak import construct, rho, sample_source, theorem_w_common_width

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
interval in the table. The Theorem W width is the smallest common `k` meeting all conditions at `delta`."""),
    code("""widths = [int(round(2 ** (e / 2))) for e in range(2, 35, 1 if not QUICK else 3)]
sparsities = [0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99] if not QUICK else [0.5, 0.9, 0.99]
config = weak_exp.make_config(target="4,8,8,1", method="counts", trials=300 if not QUICK else 60,
                              seed=0, delta=0.1)
rows = weak_exp.run_grid(config, sparsity=sparsities, width=widths)
for r in rows[:3]:
    print({c: r[c] for c in ("width", "sparsity", "trials", "successes", "rate", "ci_low", "ci_high", "theory_width")})"""),
    code("""fig_path = weak_exp.plot(rows, config, FIG_DIR)[0]
os.replace(fig_path, FIG_DIR / "weak_phase.png")
print(weak_exp.summarize(rows, config, FIG_DIR, [str(FIG_DIR / "weak_phase.png")], 0.0))"""),
    md("""![phase diagram](../figures/weak_phase.png)

**Reading it.** The success rate rises from 0 to 1 with the width, and the transition moves right as
the sparsity grows. With every layer at the same density the fitted exponent of `rho(p)` lies between 1
and 2: the first source layer needs an edge from its input (probability `p`) *and* an edge onwards
(`rho(p)`), so `k_0` grows like `rho(p)/p`. Keeping the first layer dense (`dense_first_layer=True`,
`--dense-first-layer` on the command line) isolates the `rho(p)` factor of claim 1:"""),
    code("""config_dense = dict(config, dense_first_layer=True)
rows_dense = weak_exp.run_grid(config_dense, sparsity=sparsities, width=widths)
front = frontier(rows_dense, 0.9)
fit = fit_power_law(np.array([rho(1 - s) for s in sparsities]), np.array([front[s] for s in sparsities]))
print("dense first layer:", fit.label())
for s in sparsities:
    tw = theorem_w_common_width(target, [1.0] + [1 - s] * 3, 0.1)
    print(f"sparsity {s}: measured frontier {front[s]:.0f}, Theorem W width {tw}, ratio {tw / front[s]:.1f}")"""),
]
nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
here = Path(__file__).resolve().parent
nbf.write(nb, here / "01_weak_tickets.ipynb")
print("wrote", here / "01_weak_tickets.ipynb")
