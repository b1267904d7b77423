"""Writes notebooks/03_lower_bound.ipynb (run from the repository root or from notebooks/)."""

from pathlib import Path

import nbformat as nbf

nb = nbf.v4.new_notebook()
md = nbf.v4.new_markdown_cell
code = nbf.v4.new_code_cell
nb.cells = [
    md("""# 03 - Claim 2: the 3-layer lower bound, decided exactly by matching

Our formulation of claim 2 of *Why Random Pruning Is All We Need to Start Sparse* (Gadhikar, Mukherjee,
Burkholz, ICML 2023): see `proofs/lower_bound.md` and docs/theory.md §4.

A one-hidden-layer ER source (width N, densities p_1 into the hidden layer, p_2 out of it) contains a weak
ticket for f_T(x) = c + sum_i v_i phi(w_i . x + b_i) **iff** the bipartite graph
i ~ u  <=>  supp(w_i) inside M_1[u] and M_2[0, u] = 1 has a matching covering all n targets.
For the hard instance f_T(x) = c + sum_i v_i phi(x_1 - c_i) this gives, exactly,
P(ticket) = P(Binomial(N, p_1 p_2) >= n): a sharp threshold at N = n / (p_1 p_2).

This notebook uses only the package API and writes `figures/lower_bound_phase.png` and
`figures/lower_bound_threshold.png`. Set `LTH_NOTEBOOK_QUICK=1` for a tiny grid (the test suite does) and
`LTH_FIGURES_DIR` to write the figures elsewhere."""),
    code("""import os
import sys
from pathlib import Path

ROOT = Path.cwd() if (Path.cwd() / "lththeory").is_dir() else Path.cwd().parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np
from IPython.display import Image, display

from lththeory.experiments import lower_bound as lbx
from lththeory.experiments.lower_bound import EXPERIMENT as lb_exp
from lththeory.lower_bound import (
    decide,
    exact_success_probability_hard,
    hard_instance,
    random_one_hidden_target,
    sample_source_masks,
    threshold_width,
)

QUICK = os.environ.get("LTH_NOTEBOOK_QUICK", "") not in ("", "0")
FIG = Path(os.environ.get("LTH_FIGURES_DIR", ROOT / "figures"))
FIG.mkdir(parents=True, exist_ok=True)
print("quick grid" if QUICK else "full grid", "| figures ->", FIG)"""),
    md("""## One source, decided exactly

On success `decide` returns the explicit ticket (checked inside the masks and equal to f_T on the box);
on failure, the unmatched targets and a Hall-violating set Z with |N(Z)| < |Z|."""),
    code("""target = random_one_hidden_target(d=3, n=6, support=2, seed=1)
rng = np.random.default_rng(0)
for N, p in [(40, 0.7), (12, 0.5)]:
    masks = sample_source_masks(N, target.d, p, p, rng)
    dec = decide(target, masks)
    if dec.success:
        print(f"N={N}, p={p}: ticket with {dec.ticket.num_weights()} weights, "
              f"hidden neurons {dec.matching.tolist()}, max |f_ticket - f_T| = {dec.ticket_error:.1e}")
    else:
        print(f"N={N}, p={p}: no ticket; matching {dec.matching_size}/{target.n}, unmatched "
              f"{dec.unmatched.tolist()}, Hall set {dec.hall_set.tolist()} has only "
              f"{dec.hall_neighbours.size} neighbours {dec.hall_neighbours.tolist()}")"""),
    md("""## Measured success rate against the exact curve and both bounds

`width` is N / n. Measurement: Monte-Carlo over ER sources, the exact decision per source, Clopper-Pearson
95 % intervals. Theory: the closed form P(Bin(N, p_1 p_2) >= n), the upper bound P(Bin(N, p_2) >= n) (any
target) and the block construction's lower bound 1 - n (1 - p_2 p_1)^floor(N/n)."""),
    code("""if QUICK:
    n, trials = 20, 40
    widths = [round(2 ** (e / 2), 3) for e in range(0, 15)]
    sparsities = [0.5, 0.8, 0.9]
else:
    n, trials = 30, 150
    widths = [round(2 ** (e / 4), 3) for e in range(0, 30)]
    sparsities = [0.5, 0.6, 0.7, 0.8, 0.9]
config = lb_exp.make_config(instance="hard", target_neurons=n, trials=trials, seed=0)
rows = lb_exp.run_grid(config, sparsity=sparsities, width=widths)
print(f"{len(rows)} grid points x {trials} trials")
phase = lb_exp.plot_phase(rows, config, FIG / "lower_bound_phase.png")
display(Image(phase))"""),
    code("""ag = lbx.agreement(rows)
print(f"exact value inside the 95% CI at {ag['inside']} of {ag['with_exact']} points; "
      f"CIs above the upper bound: {ag['above_upper']}, below the block lower bound: {ag['below_lower']}")"""),
    md("""## The threshold N*(p)

N* is where the success probability crosses 1/2: measured (log-interpolated, with the interval where the
pointwise CIs cross 1/2) and from the closed form (exact integer search). With p_1 = p_2 = p the closed
form gives N*/n ~ 1/(p_1 p_2) = 1/p^2, between rho(p)^2 and (rho(p) + 1)^2, so the slope against rho(p)
over a finite range is below 2; the fit of the closed form over the same sparsities is the benchmark."""),
    code("""table = lb_exp.threshold_table(rows, config)
for r in table:
    print(f"sparsity {r['sparsity']:.2f}: measured N*/n = {r['measured']:.2f} "
          f"[{r['measured_low']:.2f}, {r['measured_high']:.2f}], closed form {r['exact']:.2f}, "
          f"1/(p1 p2) = {r['inv_p1p2']:.2f}, rho(p) = {r['rho']:.2f}")
fits = lb_exp.threshold_fits(table)
for key, f in fits.items():
    print(f"{key:>22}: {lbx.fit_text(f)}")
thr = lb_exp.plot_threshold(rows, config, FIG / "lower_bound_threshold.png")
display(Image(thr))"""),
    md("""## Exploration (not a theorem): two hidden layers

For sources with two hidden layers no lower bound is proven. We only *measure* the smallest common copy
multiplier k at which Theorem W's construction succeeds with rate 1/2 (an upper bound on the true smallest
width) and fit its scaling in rho(p). See `lththeory/lower_bound/two_hidden.py` for what is proven and what is not."""),
    code("""from lththeory.lower_bound.two_hidden import two_hidden_scaling

sc = two_hidden_scaling(hard_instance(n, seed=0), sparsities=sparsities,
                        trials=60 if QUICK else 300)
for p in sc.points:
    print(f"sparsity {p.sparsity:.2f}: rho = {p.rho:.2f}, measured k* = {p.k_star:.1f} "
          f"[{p.k_low:.1f}, {p.k_high:.1f}], Theorem W's k = {p.theorem_k}")
print(sc.summary())"""),
]
nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
here = Path(__file__).resolve().parent
nbf.write(nb, here / "03_lower_bound.ipynb")
print("wrote", here / "03_lower_bound.ipynb")
