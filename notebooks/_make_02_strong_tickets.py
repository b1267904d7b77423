"""Writes notebooks/02_strong_tickets.ipynb (run from the repository root or from notebooks/)."""

from pathlib import Path

import nbformat as nbf

nb = nbf.v4.new_notebook()
md = nbf.v4.new_markdown_cell
code = nbf.v4.new_code_cell
nb.cells = [
    md("""# 02 - Claim 3: strong tickets inside random (ER) source networks

Our formulation of claim 3 of *Why Random Pruning Is All We Need to Start Sparse* (Gadhikar, Mukherjee,
Burkholz, ICML 2023): see `proofs/strong_tickets.md` and docs/theory.md §5. A random ER source whose
weights and biases are iid U[-1, 1] contains a subnetwork that approximates the target within `eps` in
sup norm on the box **without changing any weight**: the depth L+1 construction (univariate first
layer, `phi(x) - phi(-x)` split, random subset sums over surviving weights, constant neurons for
biases). Every subset sum is solved exactly (meet in the middle, vectorised); success is decided by a
certificate, a rigorous bound of the sup error; the sampled error is reported next to it.

This notebook uses only the package API and writes `figures/strong_phase.png`,
`figures/strong_error.png`, `figures/strong_error_curves.png`, `figures/strong_comparison.png` and
`figures/lueker.png`. Set `LTH_NOTEBOOK_QUICK=1` for a tiny grid (the
test suite does) and `LTH_FIGURES_DIR` to write the figures elsewhere."""),
    code("""import os
import sys
from pathlib import Path

ROOT = Path.cwd() if (Path.cwd() / "lththeory").is_dir() else Path.cwd().parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np
from IPython.display import Image, display

from lththeory import random_target
from lththeory.experiments.strong import EXPERIMENT as strong_exp
from lththeory.experiments.subset_sum import EXPERIMENT as lueker_exp
from lththeory.stats import frontier, frontier_fit
from lththeory.plotting import comparison_figure
from lththeory.strong import (
    compare_constructions,
    construct,
    construct_pensia,
    error_budget,
    predicted_ticket_size,
    sample_source,
    theorem_s_common_width,
)
from lththeory.subset_sum import resolve_engine

QUICK = os.environ.get("LTH_NOTEBOOK_QUICK", "") not in ("", "0")
FIG = Path(os.environ.get("LTH_FIGURES_DIR", ROOT / "figures"))
FIG.mkdir(parents=True, exist_ok=True)
print("quick grid" if QUICK else "full grid", "| figures ->", FIG,
      "| subset-sum engine:", resolve_engine("auto"))"""),
    md("""## One explicit strong ticket

A 2-4-1 target (U[-1, 1] weights, U[-1/2, 1/2] biases, box [-1, 1]^2) and a source with blocks of
`k = 256` neurons at density 0.5. We check the ticket against the source block by block: its mask lies
inside the ER mask and its weights are the source's own."""),
    code("""target = random_target([2, 4, 1], seed=1)
eps = 0.01
source = sample_source(target, 256, 0.5, seed=3)
res = construct(target, source, eps)
print(res.message)
print(f"certified error {res.certified_error:.2e}, estimated error {res.measured_error:.2e}, "
      f"{res.subset_sums} subset sums solved")
inside, own = True, True
for l in range(1, source.depth + 1):
    W, M, b = source.dense_layer(l)
    tm = res.ticket.masks[l - 1].toarray()
    inside &= not np.any(tm & ~M)
    own &= np.array_equal(res.ticket.weights[l - 1].toarray()[tm], W[tm])
x = np.random.default_rng(7).uniform(-1, 1, size=(20000, 2))
fresh = np.abs(res.ticket.network(x) - target(x)).max()
print(f"mask inside the ER mask: {inside}; weights are the source's own: {own}; "
      f"max error on 20000 fresh points: {fresh:.2e}")
print(f"ticket: {res.ticket.size} weights ({res.ticket.density:.2e} of the dense source of "
      f"{source.num_weights():,}); predicted {predicted_ticket_size(target, 256, 0.5, eps):.0f}")"""),
    md("""### The precision rule and Pensia's depth-2L construction

`error_budget` turns `eps` into per-layer subset-sum precisions `eps'_l` (the target's interval bounds
and the amplification of copy errors enter); `E_l` is each layer's error budget. Pensia et al.'s
construction on the same target and density needs no copies but twice the depth."""),
    code("""bud = error_budget(target, eps)
print("eps'_l:", ["%.2e" % e for e in bud.eps_prime], "| layer budgets E_l:",
      ["%.2e" % e for e in bud.layer_errors()])
psrc = sample_source(target, 256, 0.5, seed=3, construction="pensia")
pres = construct_pensia(target, psrc, eps)
print("Pensia (depth 2L):", pres.message)
for p in (0.9, 0.5, 0.3):
    uni, pen = theorem_s_common_width(target, p, eps), theorem_s_common_width(target, p, eps, construction="pensia")
    print(f"Theorem S common width at p = {p}: univariate {uni.k} (groups of {uni.group_size}), "
          f"pensia {pen.k} (groups of {pen.group_size}); confidence {uni.confidence:.3f}")"""),
    md("""## The phase diagram and the error

Every grid point is `trials` independent sources (the sweep experiment's `run_grid`, as in
`python -m lththeory.sweep width sparsity --experiment strong`); rates come with 95 % Clopper-Pearson
intervals. White: Theorem S's common width; red: the measured frontier and its fit against rho(p)."""),
    code("""widths = [32, 128, 512] if QUICK else [16, 32, 64, 128, 256, 512, 1024]
sparsities = [0.3, 0.5] if QUICK else [0.1, 0.3, 0.5, 0.7]
config = strong_exp.make_config(target="2,4,1", eps=0.01, construction="univariate",
                                points=128 if QUICK else 512, trials=4 if QUICK else 20, seed=0)
rows = strong_exp.run_grid(config, sparsity=sparsities, width=widths)
for r in rows:
    print(f"k={r['width']:5d} sparsity={r['sparsity']:.1f}: rate {r['rate']:.2f} "
          f"[{r['ci_low']:.2f}, {r['ci_high']:.2f}], median error {r['median_error']:.1e}, "
          f"theory width {r['theory_width']}")
phase = strong_exp.plot_phase(rows, config, FIG / "strong_phase.png")
err = strong_exp.plot_error(rows, config, FIG / "strong_error.png")
front = frontier(rows, 1 - config["delta"])
fit = frontier_fit(rows, 1 - config["delta"])
print("measured frontier (rate >= 0.9):", {s: round(k, 1) for s, k in front.items()})
if fit is not None:
    print(f"frontier ~ c rho(p)^b: b = {fit.slope:.2f} [{fit.slope_low:.2f}, {fit.slope_high:.2f}]")
ratios = [r["theory_width"] / front[r["sparsity"]] for r in rows if np.isfinite(front[r["sparsity"]])]
if ratios:
    print(f"Theorem S width / measured frontier: {min(ratios):.1f}x to {max(ratios):.1f}x")
display(Image(phase))
display(Image(err))"""),
    md("""## Error curves: the best error at each width (objective min-error)

With `objective="min-error"` every subset sum is solved to its best error over all its candidates (the
practical construction, `candidates="practical"`: up to 26 at once, certified but not covered by Theorem
S's bound), so the certified error is the best this construction reaches at each block size k (docs/theory.md
§5.7). Solid: certified error (median, band 10-90 % of the trials); dashed: sampled error; dotted: the
prediction (per weight about 2^-n for n expected candidates, propagated by the error budget). The
summary line per sparsity is the fitted decay rate of log2(certified error) against k p, with its
95 % t-interval, beside the same fit of the prediction."""),
    code("""# per sparsity a grid that covers its falling part (the certified error drops from the target's
# scale to the floor of the 26-candidate cap within about a doubling of k)
grids = {0.5: [128, 144, 160, 176, 192]} if QUICK else {
    0.5: [64, 96, 112, 128, 144, 160, 176, 192, 208, 256, 512],
    0.8: [512, 640, 704, 768, 832, 896, 960, 1024, 1152, 1536],
    0.9: [2048, 2560, 2816, 3072, 3328, 3584, 4096],
}
cconfig = strong_exp.make_config(target="2,4,1", eps=0.01, objective="min-error", candidates="practical",
                                 points=128 if QUICK else 512, trials=3 if QUICK else 5, seed=0)
crows = [r for sp, ws in grids.items() for r in strong_exp.run_grid(cconfig, sparsity=[sp], width=ws)]
for r in crows:
    print(f"k={r['width']:5d} sparsity={r['sparsity']:.2f}: certified {r['certified_error']:.2e} "
          f"[{r['certified_error_q10']:.1e}, {r['certified_error_q90']:.1e}], sampled "
          f"{r['sampled_error']:.2e}, predicted {r['predicted_error']:.2e}, success {r['rate']:.2f}")
assert all(r["certified_error"] >= r["sampled_error"] for r in crows)
for line in strong_exp.scaling_lines(crows, cconfig):
    print(line)
curves = strong_exp.plot_error(crows, cconfig, FIG / "strong_error_curves.png")
display(Image(curves))"""),
    md("""## Side by side: depth L+1 against Pensia et al.'s depth 2L

The same target, block sizes, densities and trial seeds for both constructions
(`lththeory.strong.compare_constructions`; `benchmarks/compare_constructions.py` is the command-line
version). Pensia's source has twice the depth but no copies, so it is far smaller at the same k; both
tickets are certified."""),
    code("""ctarget = random_target([2, 4, 1], seed=1)
cks = [32, 128] if QUICK else [32, 64, 128, 256, 512]
cps = [0.5] if QUICK else [0.5, 0.2, 0.1]
cmp_rows = compare_constructions(ctarget, cks, cps, 0.01, trials=2 if QUICK else 10, seed=0,
                                 objective="min-error", n_points=128 if QUICK else 512)
print("| construction | depth | sparsity | k | hidden neurons | kept weights | certified | sampled | success |")
print("|---|---|---|---|---|---|---|---|---|")
for r in cmp_rows:
    print(f"| {r['construction']} | {r['depth']} | {1 - r['density']:g} | {r['width']} | "
          f"{r['source_neurons']:,} | {r['ticket_weights']:,.0f} | {r['certified_error']:.2g} | "
          f"{r['sampled_error']:.2g} | {r['successes']}/{r['trials']} |")
cmp_path = comparison_figure(cmp_rows, FIG / "strong_comparison.png", eps=0.01,
                             title="univariate (depth L+1) vs Pensia (depth 2L), target 2-4-1")
display(Image(cmp_path))"""),
    md("""## Lueker's constant

The random subset-sum experiment (descriptive; Theorem S itself reads exact measurements at its own
group sizes and precisions, `lththeory.subset_sum.lemma`): `n` iid candidates meet every `z` in [-1, 1] within
`eps` with probability `>= 1 - delta` once `n >= C log2(1/eps)`. We measure the success rate (exact worst
error over all z) and fit `C` (as `python -m lththeory.sweep n eps --experiment subset-sum`)."""),
    code("""ns = [6, 10, 14] if QUICK else [4, 6, 8, 10, 12, 14, 16, 18, 20]
epss = [0.1, 0.01] if QUICK else [0.1, 0.01, 0.001]
fits = {}
for dist in ("uniform", "product"):
    lconf = lueker_exp.make_config(distribution=dist, trials=50 if QUICK else 200, seed=0)
    lrows = lueker_exp.run_grid(lconf, eps=epss, n=ns)
    f = fits[dist] = lueker_exp.fit(lrows, lconf)
    need = ", ".join(f"eps {e:g}: n = {n}" for e, n in zip(f.eps, f.n_required))
    print(f"{dist}: smallest n with success >= 0.9: {need}; C = {f.C:.2f} [{f.ci_low:.2f}, {f.ci_high:.2f}]")
    if dist == "uniform":
        lpath = lueker_exp.plot_lueker(lrows, lconf, FIG / "lueker.png")
f = fits["uniform"]
print(f"fitted constant (uniform): C = {f.C:.2f} [{f.ci_low:.2f}, {f.ci_high:.2f}]")
display(Image(lpath))"""),
    md("""## Reading the figures

* The measured frontier of the theorem's own construction (groups of g candidates, worst-case error
  budget) lies a few times below Theorem S's width (the union bound and the worst-case amplification
  are conservative); its growth with rho(p) is steeper than linear because a layer-1
  candidate must survive two masks (p_1 p_2); `--dense-first-layer` restores the single rho(p) factor.
* The error falls with the block size until every subset sum finds enough candidates, then saturates at
  the precision the rule asks for: the error figure shows the eps line being crossed near the frontier."""),
]
nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
here = Path(__file__).resolve().parent
nbf.write(nb, here / "02_strong_tickets.ipynb")
print("wrote", here / "02_strong_tickets.ipynb")
