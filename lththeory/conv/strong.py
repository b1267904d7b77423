"""Strong tickets for convolutions at small sizes, with a certified error (docs/theory.md §8.7).

The depth L+1 univariate construction of docs/theory.md §5.2, with one subset sum per kernel entry.
The source (:func:`sample_strong_source`) is an explicit dense ER conv network with U[-1, 1] weights and
biases: source layer 1 ("same" padding, target layer 1's kernel) holds d blocks of k_0 univariate
channels and k^c_1 constant channels; source layer l+1 holds n_l blocks of k_l copies of target
channel i (target layer l's kernel and padding) and k^c_{l+1} constant channels; the last layer the
n_L outputs. A strong ticket keeps some of the drawn values and deletes the rest:

* univariate channel u of block j keeps only its centre weight theta_u from input channel j (bias
  deleted): it outputs theta_u phi(x_j) or |theta_u| phi(-x_j), and 0 on the padding, like x;
* a constant channel keeps its bias c > 0 and no input: it outputs c on its image, read only through
  centre entries (so every pixel sees it: padding at most "same");
* copy v of target channel i meets every nonzero W_l[i, j, pi] by a subset sum over its own surviving
  weights eta[v, u, pi] from valid copies u of j (for l = 1: products eta * |theta| over univariate
  channels of each sign, targets W and -W), and b_l[i] over its own bias and eta[v, c, centre] * c.

Certificates (rigorous upper bounds on sup |f_P - f_T| over the box and every pixel, border pixels
included): layer 1 E(v) = max(e_b + sum max(0, e+ R+, e- R-), -(e_b + sum min(0, e+ R+, e- R-))) over
the kernel entries (distinct entries read distinct pixels, so the sup separates); above
E(v) = |e_b| + sum_{j, pi} (|e| H_{l-1, j} + sum_{u in S} |eta_u| E(u)). A hidden copy is valid iff
E(v) <= E_l (the budget rule of docs/theory.md §5.4 with kernel-entry fan-ins); success iff every
output has E <= eps. Targets without a head, odd kernels, padding at most "same".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .._validate import LTHInputError, as_generator, check_positive_int, check_positive_real
from ..subset_sum import MAX_BATCH_N, solve_batch
from ..weak import normalise_densities, normalise_k
from .network import ConvNetwork, check_conv_network, image_points, parse_padding

__all__ = [
    "ConvStrongConstruction",
    "ConvStrongSource",
    "construct_strong",
    "interval_bounds",
    "sample_strong_source",
]


def _check_strong_target(target: object) -> ConvNetwork:
    t = check_conv_network(target)
    if t.head is not None:
        raise LTHInputError("target must have no head for strong conv tickets (not implemented)")
    for l, ((kh, kw), (ph, pw)) in enumerate(zip(t.kernels, t.padding, strict=True)):
        if kh % 2 == 0 or kw % 2 == 0 or ph > (kh - 1) // 2 or pw > (kw - 1) // 2:
            raise LTHInputError(
                f"target layer {l} must have an odd kernel and padding at most 'same' for strong "
                f"conv tickets (constant channels are read at the kernel centre), got kernel "
                f"{kh}x{kw}, padding {(ph, pw)}"
            )
    return t


def interval_bounds(target: ConvNetwork) -> list[np.ndarray]:
    """H_l (l = 0..L-1): per channel an upper bound on |h_l| over the box and every pixel, by
    interval arithmetic through the convolutions; the input interval [min(a, 0), max(b, 0)] covers
    the zero padding (docs/theory.md §8.7)."""
    t = check_conv_network(target)
    a, b = t.box
    lo = np.full(t.input_dim, min(a, 0.0))
    hi = np.full(t.input_dim, max(b, 0.0))
    out = [np.maximum(np.abs(lo), np.abs(hi))]
    for l in range(t.n_conv - 1):
        Wk = t.kernel_weight(l)
        pos, neg = np.maximum(Wk, 0).sum(axis=(2, 3)), np.minimum(Wk, 0).sum(axis=(2, 3))
        hi = np.maximum(t.biases[l] + pos @ hi + neg @ lo, 0.0)
        lo = np.zeros_like(hi)  # after the ReLU; 0 also covers the zero padding
        out.append(hi.copy())
    return out


@dataclass(frozen=True)
class ConvStrongSource:
    """An explicit ER conv source with its random weights (docs/theory.md §8.7).

    ``weights[l]``: (N_{l+1}, N_l, kh, kw), U[-1, 1] and 0 where ``masks[l]`` is 0; ``biases[l]``:
    (N_{l+1},). Source layer l+1 (l < L) holds ``n_l`` blocks of ``k[l]`` channels, then
    ``k_const[l]`` constant channels; the last layer the outputs.
    """

    target_widths: tuple[int, ...]
    k: tuple[int, ...]
    k_const: tuple[int, ...]
    densities: tuple[float, ...]
    weights: tuple[np.ndarray, ...]
    masks: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]

    @property
    def widths(self) -> tuple[int, ...]:
        return (self.weights[0].shape[1],) + tuple(w.shape[0] for w in self.weights)


def sample_strong_source(
    target: ConvNetwork,
    k: int | Sequence[int],
    densities: float | Sequence[float],
    rng: np.random.Generator | int | None = None,
    k_const: int | Sequence[int] | None = None,
) -> ConvStrongSource:
    """Draw the explicit source: masks per kernel entry (Bernoulli(p_l)), weights and biases U[-1, 1].
    ``k_const`` per source layer 1..L (default: the layer's block size where target layer l has a
    nonzero bias, else 0). Dense storage: for small sizes only (at most 2e7 entries)."""
    t = _check_strong_target(target)
    L = t.depth
    ks = normalise_k(k, L)
    ps = normalise_densities(densities, L)
    if k_const is None:
        kc = tuple(ks[l] if np.any(t.biases[l] != 0) else 0 for l in range(L))
    else:
        kc = normalise_k(k_const, L) if np.ndim(k_const) else (int(k_const),) * L
        kc = tuple(check_positive_int(v, "k_const", minimum=0) for v in kc)
    rng = as_generator(rng, "rng")
    ch = t.channels
    N = [ch[0]] + [ch[l] * ks[l] + kc[l] for l in range(L)] + [ch[L]]
    kers = [t.kernels[0]] + list(t.kernels)
    size = sum(N[l + 1] * N[l] * kers[l][0] * kers[l][1] for l in range(L + 1))
    if size > 2 * 10**7:
        raise LTHInputError(
            f"k is too large for the dense strong conv source ({size:.2e} entries > 2e7)"
        )
    W, M, B = [], [], []
    for l in range(L + 1):
        shape = (N[l + 1], N[l], *kers[l])
        m = rng.random(shape) < ps[l]
        W.append(np.where(m, rng.uniform(-1.0, 1.0, size=shape), 0.0))
        M.append(m)
        B.append(rng.uniform(-1.0, 1.0, size=N[l + 1]))
    return ConvStrongSource(tuple(ch), ks, kc, ps, tuple(W), tuple(M), tuple(B))


@dataclass(frozen=True)
class ConvStrongConstruction:
    """Outcome: ``success`` iff every output's certificate is <= eps; ``certified`` the largest output
    certificate (an upper bound on sup |f_P - f_T|); ``sampled`` max |f_P - f_T| on test images (a
    lower bound); ``ticket`` the pruned source (kept values unchanged); ``valid_counts`` per layer."""

    success: bool
    certified: float
    sampled: float | None
    ticket: ConvNetwork
    kept_weights: tuple[np.ndarray, ...]
    valid_counts: tuple[np.ndarray, ...]


def _budget(t: ConvNetwork, eps: float, n: int, halves: int, R: float) -> list[float]:
    """E_1..E_L of the budget rule (docs/theory.md §5.4) with kernel-entry fan-ins and the typical
    amplification n/4 per weight."""
    L = t.depth
    fan = [c.sum(axis=1) for c in t.fan_in()]
    beta = [(b != 0).astype(float) for b in t.biases]
    H = interval_bounds(t)
    c = [float(np.max(fan[0] * R + beta[0]))]
    for l in range(1, L):
        per = np.count_nonzero(t.kernel_weight(l), axis=(2, 3)) @ H[l]
        c.append(float(np.max(per + beta[l])))
    alpha = [float(fan[l].max()) * n / 4 for l in range(L)]
    phi = np.array([np.max((halves if l == 0 else 1) * fan[l] + beta[l]) for l in range(L)])
    phi = phi / phi.sum()
    eps_l = [phi[l] * eps / (max(c[l], 1e-300) * np.prod(alpha[l + 1 :])) for l in range(L)]
    E = [eps_l[0] * c[0]]
    for l in range(1, L):
        E.append(eps_l[l] * c[l] + alpha[l] * E[-1])
    return E


def _solve_rows(values: list[np.ndarray], targets: list[float], n: int) -> tuple[list, np.ndarray]:
    """Exact subset sums, row r over ``values[r]`` (at most n, zero-padded) for ``targets[r]``."""
    if not values:
        return [], np.empty(0)
    V = np.zeros((len(values), n))
    for r, v in enumerate(values):
        V[r, : len(v)] = v
    res = solve_batch(V, np.asarray(targets, dtype=np.float64))
    subsets = [res.subsets[r, : len(v)] for r, v in enumerate(values)]
    return subsets, res.sums - np.asarray(targets)


def construct_strong(
    target: ConvNetwork,
    source: ConvStrongSource,
    eps: float,
    max_candidates: int = 16,
    n_images: int = 64,
    seed: int = 0,
) -> ConvStrongConstruction:
    """The depth L+1 strong conv ticket with its certificate (docs/theory.md §8.7)."""
    t = _check_strong_target(target)
    eps = check_positive_real(eps, "eps")
    n = check_positive_int(max_candidates, "max_candidates")
    if n > MAX_BATCH_N:
        raise LTHInputError(f"max_candidates must be <= {MAX_BATCH_N}, got {n}")
    if not isinstance(source, ConvStrongSource) or source.target_widths != t.channels:
        raise LTHInputError("source must be a ConvStrongSource drawn for this target")
    L, d = t.depth, t.input_dim
    a, b = t.box
    Rp, Rm = max(b, 0.0), max(-a, 0.0)
    halves = int(Rp > 0) + int(Rm > 0)
    taus = _budget(t, eps, n, halves, max(Rp, Rm))
    H = interval_bounds(t)
    ks, kc = source.k, source.k_const
    k0 = ks[0]
    kh, kw = t.kernels[0]
    cen = (kh // 2, kw // 2)
    theta = source.weights[0][np.arange(d * k0), np.repeat(np.arange(d), k0), cen[0], cen[1]]
    valid = np.zeros(source.widths[1], dtype=bool)
    valid[: d * k0] = theta != 0
    cert = np.zeros(source.widths[1])
    keep = [np.zeros_like(m) for m in source.masks]  # kept weight entries
    keep_b = [np.zeros(len(bb), dtype=bool) for bb in source.biases]
    chosen: list[dict] = [dict() for _ in range(L + 1)]  # per source layer: v -> (edges, bias_sel)
    counts = [valid[: d * k0].reshape(d, k0).sum(axis=1)]
    for l in range(1, L + 1):  # target layer l, source weight layer l+1 (index l)
        Wt = t.kernel_weight(l - 1)
        Wsrc, Msrc, Bsrc = source.weights[l], source.masks[l], source.biases[l]
        bs_prev = ks[l - 1]
        n_prev_ch = t.channels[l - 1]
        const = np.arange(n_prev_ch * bs_prev, n_prev_ch * bs_prev + kc[l - 1])
        cvals = source.biases[l - 1][const]
        ckh, ckw = t.kernels[l - 1][0] // 2, t.kernels[l - 1][1] // 2
        bs = ks[l] if l < L else 1
        rows = np.arange(t.channels[l] * bs)
        vals, tgts, meta = [], [], []
        for v in rows:
            i = v // bs
            for j, py, px in zip(*np.nonzero(Wt[i]), strict=True):
                cand = np.arange(j * bs_prev, (j + 1) * bs_prev)
                cand = cand[valid[cand] & Msrc[v, cand, py, px]]
                w = Wt[i, j, py, px]
                if l == 1:
                    for sign, R in ((1.0, Rp), (-1.0, Rm)):
                        if R == 0:
                            continue
                        cs = cand[np.sign(theta[cand]) == sign][:n]
                        vals.append(Wsrc[v, cs, py, px] * np.abs(theta[cs]))
                        tgts.append(sign * w)
                        meta.append((v, "w", (j, py, px, sign), cs))
                else:
                    cs = cand[np.argsort(cert[cand], kind="stable")][:n]
                    vals.append(Wsrc[v, cs, py, px])
                    tgts.append(w)
                    meta.append((v, "w", (j, py, px, 1.0), cs))
            cs = const[(cvals > 0) & Msrc[v, const, ckh, ckw]][: n - 1]
            vals.append(
                np.concatenate([[Bsrc[v]], Wsrc[v, cs, ckh, ckw] * source.biases[l - 1][cs]])
            )
            tgts.append(t.biases[l - 1][i])
            meta.append((v, "b", None, cs))
        subsets, errs = _solve_rows(vals, tgts, n)
        pos = np.zeros(len(rows))
        neg = np.zeros(len(rows))
        e_b = np.zeros(len(rows))
        amp = np.zeros(len(rows))
        halves_seen: dict[tuple, tuple[float, float]] = {}
        for (v, kind, info, cs), sel, e in zip(meta, subsets, errs, strict=True):
            entry = chosen[l].setdefault(v, ([], False, []))
            if kind == "b":
                e_b[v] = e
                chosen[l][v] = (entry[0], bool(sel[0]), list(cs[sel[1:]]))
                continue
            j, py, px, sign = info
            used = cs[sel]
            entry[0].extend((int(u), py, px) for u in used)
            if l == 1:  # x_j is either >= 0 or <= 0: per entry max(0, e+ R+, e- R-)
                term = e * (Rp if sign > 0 else Rm)
                key = (v, j, py, px)
                hi_t, lo_t = halves_seen.get(key, (0.0, 0.0))
                halves_seen[key] = (max(hi_t, term), min(lo_t, term))
            else:
                amp[v] += abs(e) * H[l - 1][j] + float(np.abs(Wsrc[v, used, py, px]) @ cert[used])
        for (v, *_), (hi_t, lo_t) in halves_seen.items():
            pos[v] += hi_t
            neg[v] += lo_t
        E = np.maximum(e_b + pos, -(e_b + neg)) if l == 1 else np.abs(e_b) + amp
        if l < L:
            nxt = np.zeros(source.widths[l + 1], dtype=bool)
            nxt[rows] = E <= taus[l - 1] * (1 + 1e-9)
            valid = nxt
            cert = np.concatenate([E, np.zeros(source.widths[l + 1] - len(rows))])
            counts.append(valid[rows].reshape(-1, bs).sum(axis=1))
        else:
            counts.append((E <= eps * (1 + 1e-9)).astype(int))
            out_cert = E
    success = bool(np.all(out_cert <= eps * (1 + 1e-9)))
    # walk back from the outputs: kept channels, their selected edges and biases
    kept = set(range(t.channels[L]))
    for l in range(L, 0, -1):
        below: set[int] = set()
        for v in kept:
            edges, own_bias, consts = chosen[l].get(v, ([], False, []))
            for u, py, px in edges:
                keep[l][v, u, py, px] = True
                below.add(u)
            keep_b[l][v] = own_bias
            ckh, ckw = t.kernels[l - 1][0] // 2, t.kernels[l - 1][1] // 2
            for c in consts:
                keep[l][v, c, ckh, ckw] = True
                keep_b[l - 1][c] = True  # a constant channel keeps its bias, no input
        kept = below
    for u in kept:  # univariate channels: their centre weight from x_j, bias deleted
        keep[0][u, u // k0, cen[0], cen[1]] = True
    tw = tuple(np.where(k, w, 0.0) for k, w in zip(keep, source.weights, strict=True))
    tb = tuple(np.where(k, bb, 0.0) for k, bb in zip(keep_b, source.biases, strict=True))
    pads = [parse_padding("same", t.kernels[0])] + list(t.padding)
    net = ConvNetwork(tw, tb, t.image, pads, None, None, t.box)
    sampled = None
    if n_images:
        x = image_points(t, n_images, rng=seed, corners=16, border=16)
        sampled = float(np.abs(net(x) - t(x)).max())
    return ConvStrongConstruction(
        success, float(out_cert.max()), sampled, net, tuple(keep), tuple(counts)
    )
