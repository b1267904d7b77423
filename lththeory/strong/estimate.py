"""Estimating the sup error of a ticket from below: random points, corners and local maximisation
(docs/theory.md §5.4). The construction's certificate is the matching upper bound."""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

from .._validate import LTHInputError, as_generator, check_positive_int
from ..network import ReLUNetwork, box_corners
from .results import ErrorEstimate

__all__ = ["estimate_error"]


def _value_grad(net: ReLUNetwork, x: np.ndarray, o: int) -> tuple[float, np.ndarray]:
    """f(x)_o and its gradient (exact on the linear piece containing x; one-sided at kinks)."""
    h = x
    acts = []
    last = net.depth - 1
    z = h
    for l, (W, b) in enumerate(zip(net.weights, net.biases, strict=True)):
        z = np.asarray(W @ h).ravel() + b
        if l < last:
            a = z > 0
            acts.append(a)
            h = np.where(a, z, 0.0)
    g = np.zeros(z.size)
    g[o] = 1.0
    for l in range(last, -1, -1):
        g = np.asarray(net.weights[l].T @ g).ravel()
        if l > 0:
            g = g * acts[l - 1]
    return float(z[o]), g


def _batched_error(f_p: ReLUNetwork, f_t: ReLUNetwork, X: np.ndarray, chunk: int = 1024):
    """Per point: max_o |f_P - f_T|, the output attaining it and the sign of the difference."""
    err = np.empty(X.shape[0])
    arg = np.empty(X.shape[0], dtype=np.int64)
    sgn = np.empty(X.shape[0])
    for c0 in range(0, X.shape[0], chunk):
        diff = f_p.forward(X[c0 : c0 + chunk]) - f_t.forward(X[c0 : c0 + chunk])
        a = np.abs(diff).argmax(axis=1)
        r = np.arange(diff.shape[0])
        err[c0 : c0 + chunk] = np.abs(diff[r, a])
        arg[c0 : c0 + chunk] = a
        sgn[c0 : c0 + chunk] = np.sign(diff[r, a])
    return err, arg, sgn


def estimate_error(
    f_p: ReLUNetwork,
    f_t: ReLUNetwork,
    n_points: int = 4096,
    n_local: int = 4,
    seed: int | np.random.Generator | None = 0,
    local_steps: int = 40,
) -> ErrorEstimate:
    """Estimate sup_{x in box} max_o |f_P(x)_o - f_T(x)_o| (docs/theory.md §5.4).

    The maximum over (1) ``n_points`` iid uniform points of the box, (2) its corners (all 2^d, or 1024
    random ones when d > 10), and (3) ``n_local`` local maximisations: from each of the worst points so
    far, L-BFGS-B (at most ``local_steps`` iterations, bounds = the box) maximises s (f_P - f_T)_o for
    the output o and sign s observed there, with the exact gradient of the piecewise-linear
    difference. Every evaluated point is a point of the box, so the result is a lower bound of the sup
    (the construction's certificate is the matching upper bound).
    """
    if not isinstance(f_p, ReLUNetwork) or not isinstance(f_t, ReLUNetwork):
        raise LTHInputError("f_p and f_t must be ReLUNetworks")
    if f_p.input_dim != f_t.input_dim or f_p.widths[-1] != f_t.widths[-1]:
        raise LTHInputError(
            f"f_p and f_t must have the same input and output sizes, got {f_p.widths} and {f_t.widths}"
        )
    n_points = check_positive_int(n_points, "n_points", minimum=0)
    n_local = check_positive_int(n_local, "n_local", minimum=0)
    rng = as_generator(seed, "seed")
    a, b = f_t.box
    d = f_t.input_dim
    X = rng.uniform(a, b, size=(n_points, d))
    C = box_corners(d, (a, b), rng=rng)
    er, ar, sr = _batched_error(f_p, f_t, X) if n_points else (np.zeros(0),) * 3
    ec, ac, sc = _batched_error(f_p, f_t, C)
    P = np.vstack([X, C])
    E = np.concatenate([er, ec])
    A = np.concatenate([ar, ac]).astype(np.int64)
    S = np.concatenate([sr, sc])
    best = int(np.argmax(E))
    best_err, best_x, best_o = float(E[best]), P[best].copy(), int(A[best])
    local_max = 0.0
    starts = np.argsort(-E, kind="stable")[:n_local]
    bounds = [(a, b)] * d
    for s0 in starts:
        o, s = int(A[s0]), float(S[s0]) or 1.0

        def fun(x: np.ndarray, o: int = o, s: float = s) -> tuple[float, np.ndarray]:
            vp, gp = _value_grad(f_p, x, o)
            vt, gt = _value_grad(f_t, x, o)
            return -s * (vp - vt), -s * (gp - gt)

        res = minimize(
            fun,
            P[s0],
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": local_steps},
        )
        x = np.clip(res.x, a, b)
        e, ao, _ = _batched_error(f_p, f_t, x[None, :])
        local_max = max(local_max, float(e[0]))
        if e[0] > best_err:
            best_err, best_x, best_o = float(e[0]), x, int(ao[0])
    return ErrorEstimate(
        best_err,
        best_x,
        best_o,
        float(er.max()) if er.size else 0.0,
        float(ec.max()),
        local_max,
        n_points,
        C.shape[0],
        len(starts),
    )
