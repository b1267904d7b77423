"""Writes notebooks/04_density_schemes.ipynb (run from the repository root or from notebooks/)."""

from pathlib import Path

import nbformat as nbf

nb = nbf.v4.new_notebook()
md = nbf.v4.new_markdown_cell
code = nbf.v4.new_code_cell
nb.cells = [
    md("""# Layer-wise density schemes seen through Theorem W's construction

The paper proposes "balanced" and "pyramidal" layer-wise densities for random sparse sources and argues
from the width requirement of its theory that they beat uniform and ERK at high sparsity. Here the
question is asked of our construction (docs/theory.md §3.9): for a source of *global* density `D`
(every weight layer of the depth L+1 source counts) under each scheme, what is the smallest common copy
multiplier `k` at which the construction succeeds with rate `>= 1 - delta`, and how many source weights
does that source keep? The scheme's per-layer densities are recomputed for the source's shapes at every
`k`; the frontier is found by bisection on `k` with the exact count chain, and Theorem W''s width for
the same scheme is drawn beside it.

The target is LeNet-300-100 (784-300-100-10) with a random sparse support of density `q = 0.1`.
Set `LTH_NOTEBOOK_QUICK=1` for a small grid (the test suite does); `LTH_FIGURES_DIR` chooses where the
figure goes."""),
    code("""import os
from pathlib import Path

import lththeory
from lththeory.densities import SCHEMES, density_table
from lththeory.experiments.scheme_width import EXPERIMENT as scheme_exp
from lththeory.stats import point_seedseq
from lththeory.weak import fc_source_shapes, scheme_width

QUICK = os.environ.get("LTH_NOTEBOOK_QUICK", "0") == "1"
FIG_DIR = Path(os.environ.get("LTH_FIGURES_DIR", "../figures"))
FIG_DIR.mkdir(parents=True, exist_ok=True)
print("lththeory", lththeory.__version__, "| quick grid:", QUICK)"""),
    md("""## What each scheme does to Theorem W's source

The source for a target of widths `(d, n_1, ..., n_L)` has weight layers of shapes `(d k, d)` (the
univariate layer), `(n_1 k, d k)`, ..., `(n_L, n_{L-1} k)`: the first and last layers grow like `k`, the
others like `k^2`. At `D = 0.1` and `k = 100`, ERK and balanced saturate the small first and last layers
(density 1) and pay for it in the middle; pyramidal gives the last layer almost nothing."""),
    code("""config = scheme_exp.make_config(target="784,300,100,10", trials=200 if QUICK else 1000, seed=0,
                                delta=0.1)
target = scheme_exp.target(config, "dense", 0.1)
shapes = fc_source_shapes(target)(100)
for scheme in SCHEMES:
    print(density_table(shapes, 0.1, scheme).format(), end="\\n\\n")"""),
    md("""## One grid point from the API

`scheme_width` returns the measured frontier (with every rate it measured: the rate at the width
reaches `1 - delta`, the rate one below does not) and Theorem W''s width, each with its densities and
expected source weights."""),
    code("""r = scheme_width(target, 0.1, "balanced", 0.1, point_seedseq(0, 1), trials=config["trials"])
print("balanced at D = 0.1: frontier k =", r.width, "| rate there", r.required.at,
      "| one below", r.required.below)
print("Theorem W' width:", r.sharp_width, "| source weights at the frontier: %.3g" % r.source_weights,
      "| densities:", [round(p, 4) for p in r.densities])"""),
    md("""## The scheme figure

The grid is the sweep's: `python -m lththeory.sweep density scheme --experiment scheme-width --target
784,300,100,10 --target-density 0.1` runs the same points (same seeds, same rows)."""),
    code("""densities = [0.05, 0.3] if QUICK else [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8]
rows = scheme_exp.run_grid(config, density=densities, scheme=list(SCHEMES), target_density=[0.1])
sweep_config = dict(config, axes=["density", "scheme"])
fig = scheme_exp.plot(rows, sweep_config, FIG_DIR)[0]
os.replace(fig, FIG_DIR / "scheme_width_lenet.png")
for r in rows:
    print(f"D = {r['density']:<5g} {r['scheme']:<10} k = {str(r['required_width']):<6} "
          f"W' = {str(r['sharp_width']):<6} source weights {r['source_weights'] or float('nan'):.3g}")"""),
    md("""![scheme figure](../figures/scheme_width_lenet.png)

## The ranking

Which scheme needs the fewest source weights at each `D`, with Theorem W''s ranking beside it:"""),
    code("""from lththeory.experiments.scheme_width_plots import ranking_lines

print("\\n".join(ranking_lines(rows, sweep_config)))"""),
    md("""ERK and balanced win in this construction because the univariate layer is cheap in weights
(`d^2 k` against `n_1 d k^2`) but decisive: at density `p_1` every copy of a first-layer neuron must find
one of about `k p_1` valid univariate neurons per input, the `1/p_1` factor of docs/theory.md §3.4.
Both schemes make it dense. Pyramidal starves the output layer, whose every output must reach a valid
copy of each of its in-neighbours. This is a statement about Theorem W's construction, whose success
is a lower bound on the existence of a ticket; it does not say which scheme trains best."""),
]
nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
here = Path(__file__).resolve().parent
nbf.write(nb, here / "04_density_schemes.ipynb")
print("wrote", here / "04_density_schemes.ipynb")
