"""Convolutional ReLU networks as plain data (docs/theory.md §8.1).

A conv network maps an image stack ``x in [a, b]^(C_0 x H x W)`` through 2-D convolutions of stride 1
(cross-correlation, as ``torch.nn.functional.conv2d``) with zero padding:
``h_l = phi(conv(h_{l-1}; W_l, P_l) + b_l)`` for hidden layers; without a head the last convolution
is linear, with the pooled linear head ``f(x) = A mean_pixels(h_L) + c`` every convolution is
followed by the ReLU. Weights have the layout (out, in, kh, kw), dense, or scipy sparse of the
flattened shape (out, in*kh*kw) with the kernel shapes given; the forward pass is float64 and
batched (im2col: one matrix product per layer, no loop over pixels).

Channels play the role of neurons: :meth:`ConvNetwork.fan_in` counts, for output channel i and
input channel j, the nonzero kernel entries W_l[i, j, :, :] -- what Theorem W's count chain and
bounds read (docs/theory.md §8.2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.lib.stride_tricks import sliding_window_view

from .._validate import (
    LTHInputError,
    as_generator,
    check_box,
    check_choice,
    check_density,
    check_finite_array,
    check_positive_int,
    check_widths,
)
from ..network import ReLUNetwork

__all__ = [
    "ConvNetwork",
    "check_conv_network",
    "image_points",
    "parse_kernel",
    "parse_padding",
    "random_conv_target",
]

Pair = tuple[int, int]


def parse_kernel(text: object, name: str = "kernel") -> Pair:
    """A kernel or image size "3x3" (or an int, or a pair) as (rows, cols) of positive ints."""
    if isinstance(text, str):
        parts = text.lower().split("x")
        if len(parts) != 2:
            raise LTHInputError(f"{name} must look like 3x3 (rows x cols), got {text!r}")
        parts = [p.strip() for p in parts]
    elif isinstance(text, (int, np.integer)):
        parts = [text, text]
    else:
        try:
            parts = list(text)  # type: ignore[call-overload]
        except TypeError:
            raise LTHInputError(f"{name} must look like 3x3 (rows x cols), got {text!r}") from None
        if len(parts) != 2:
            raise LTHInputError(f"{name} must be a pair (rows, cols), got {text!r}")
    return (
        check_positive_int(parts[0], f"{name} rows"),
        check_positive_int(parts[1], f"{name} cols"),
    )


def parse_padding(padding: object, kernel: Pair, name: str = "padding") -> Pair:
    """Zero padding (rows, cols): "same" ((kh-1)/2, (kw-1)/2; odd kernels), "valid" (0, 0), an int
    >= 0 or a pair of them."""
    if isinstance(padding, str):
        check_choice(padding, name, ("same", "valid"))
        if padding == "valid":
            return (0, 0)
        kh, kw = kernel
        if kh % 2 == 0 or kw % 2 == 0:
            raise LTHInputError(f"{name} 'same' needs an odd kernel, got {kh}x{kw}")
        return ((kh - 1) // 2, (kw - 1) // 2)
    if isinstance(padding, (int, np.integer)):
        v = check_positive_int(padding, name, minimum=0)
        return (v, v)
    try:
        ph, pw = padding  # type: ignore[misc]
    except (TypeError, ValueError):
        raise LTHInputError(
            f"{name} must be 'same', 'valid', an int >= 0 or a pair, got {padding!r}"
        ) from None
    return (
        check_positive_int(ph, f"{name} rows", minimum=0),
        check_positive_int(pw, f"{name} cols", minimum=0),
    )


def _conv_flat(h: np.ndarray, w_flat, b: np.ndarray, kernel: Pair, pad: Pair) -> np.ndarray:
    """conv2d of a batch h (B, C, H, W) with the flattened kernel w_flat (out, C*kh*kw): im2col by a
    strided window view, then one (sparse or dense) matrix product."""
    B, C = h.shape[:2]
    kh, kw = kernel
    hp = np.pad(h, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1]))) if any(pad) else h
    win = sliding_window_view(hp, (kh, kw), axis=(2, 3))  # (B, C, Ho, Wo, kh, kw)
    Ho, Wo = win.shape[2], win.shape[3]
    cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(B * Ho * Wo, C * kh * kw)
    z = np.asarray(w_flat @ cols.T)  # (out, B*Ho*Wo)
    out = z.reshape(-1, B, Ho, Wo).transpose(1, 0, 2, 3)
    return out + b[None, :, None, None]


def _check_weight(w: object, kernel: object, l: int) -> tuple[object, Pair]:
    """(dense 4-D or CSR flattened weight, kernel) of layer l."""
    if sp.issparse(w):
        if kernel is None:
            raise LTHInputError(
                f"kernels[{l}] must be given for a sparse (out, in*kh*kw) weights[{l}]"
            )
        ker = parse_kernel(kernel, f"kernels[{l}]")
        w = sp.csr_array(w, dtype=np.float64)
        if w.shape[1] % (ker[0] * ker[1]):
            raise LTHInputError(
                f"weights[{l}] must have in*{ker[0]}*{ker[1]} columns, got shape {w.shape}"
            )
        if w.nnz and not np.all(np.isfinite(w.data)):
            raise LTHInputError(f"weights[{l}] must contain only finite numbers")
        return w, ker
    w = check_finite_array(w, f"weights[{l}]", ndim=4)
    if min(w.shape) == 0:
        raise LTHInputError(f"weights[{l}] must have positive shape, got {w.shape}")
    ker = (int(w.shape[2]), int(w.shape[3]))
    if kernel is not None and parse_kernel(kernel, f"kernels[{l}]") != ker:
        raise LTHInputError(f"kernels[{l}] must match weights[{l}] shape {w.shape}, got {kernel}")
    return w, ker


@dataclass(frozen=True)
class ConvNetwork:
    """A convolutional ReLU network on images ``x in [a, b]^(C_0 x H x W)`` (docs/theory.md §8.1).

    ``weights[l]``: dense (C_{l+1}, C_l, kh, kw), or sparse (C_{l+1}, C_l*kh*kw) with ``kernels[l]``;
    ``biases[l]``: (C_{l+1},); ``padding``: zero padding per layer ("same", "valid", int or pairs);
    ``head``: None or (A, c) with A of shape (n_out, C_L): f(x) = A mean_pixels(h_L) + c.
    The default box is [0, 1] (images).
    """

    weights: tuple
    biases: tuple
    image: tuple[int, int]
    padding: object = "same"
    kernels: tuple | None = None
    head: tuple | None = None
    box: tuple[float, float] = (0.0, 1.0)

    def __post_init__(self) -> None:
        ws, bs = list(self.weights), list(self.biases)
        if not ws:
            raise LTHInputError("weights must hold at least one convolution, got an empty list")
        if len(ws) != len(bs):
            raise LTHInputError(
                f"biases must hold one vector per layer: {len(ws)} weights, {len(bs)} biases"
            )
        kers = [None] * len(ws) if self.kernels is None else list(self.kernels)
        if len(kers) != len(ws):
            raise LTHInputError(f"kernels must hold {len(ws)} entries, got {len(kers)}")
        H, W = parse_kernel(self.image, "image")
        pads_in = self.padding
        if isinstance(pads_in, (str, int, np.integer)) or (
            isinstance(pads_in, tuple) and len(pads_in) == 2 and np.ndim(pads_in[0]) == 0
        ):
            pads_in = [pads_in] * len(ws)
        pads_in = list(pads_in)
        if len(pads_in) != len(ws):
            raise LTHInputError(f"padding must hold {len(ws)} entries, got {len(pads_in)}")
        new_w, new_b, new_k, new_p = [], [], [], []
        c_in, size = None, (H, W)
        for l, (w, b) in enumerate(zip(ws, bs, strict=True)):
            w, ker = _check_weight(w, kers[l], l)
            out_c = w.shape[0]
            in_c = w.shape[1] if w.ndim == 4 else w.shape[1] // (ker[0] * ker[1])
            if c_in is not None and in_c != c_in:
                raise LTHInputError(
                    f"weights[{l}] must read {c_in} input channels to follow layer {l - 1}, "
                    f"got {in_c}"
                )
            b = check_finite_array(b, f"biases[{l}]", ndim=1)
            if b.shape[0] != out_c:
                raise LTHInputError(f"biases[{l}] must have length {out_c}, got {b.shape[0]}")
            pad = parse_padding(pads_in[l], ker, f"padding[{l}]")
            size = (size[0] + 2 * pad[0] - ker[0] + 1, size[1] + 2 * pad[1] - ker[1] + 1)
            if min(size) < 1:
                raise LTHInputError(
                    f"image {H}x{W} is too small: layer {l} (kernel {ker[0]}x{ker[1]}, padding "
                    f"{pad}) leaves {size[0]}x{size[1]} pixels"
                )
            new_w.append(w)
            new_b.append(b)
            new_k.append(ker)
            new_p.append(pad)
            c_in = out_c
        head = self.head
        if head is not None:
            try:
                A, c = head
            except (TypeError, ValueError):
                raise LTHInputError("head must be None or a pair (A, c)") from None
            if sp.issparse(A):
                A = sp.csr_array(A, dtype=np.float64)
                if A.nnz and not np.all(np.isfinite(A.data)):
                    raise LTHInputError("head A must contain only finite numbers")
            else:
                A = check_finite_array(A, "head A", ndim=2)
            c = check_finite_array(c, "head c", ndim=1)
            if A.shape[1] != c_in or c.shape[0] != A.shape[0] or A.shape[0] == 0:
                raise LTHInputError(
                    f"head must be A of shape (n_out, {c_in}) and c of shape (n_out,), got "
                    f"{A.shape} and {c.shape}"
                )
            head = (A, c)
        object.__setattr__(self, "weights", tuple(new_w))
        object.__setattr__(self, "biases", tuple(new_b))
        object.__setattr__(self, "kernels", tuple(new_k))
        object.__setattr__(self, "padding", tuple(new_p))
        object.__setattr__(self, "image", (H, W))
        object.__setattr__(self, "head", head)
        object.__setattr__(self, "box", check_box(self.box))

    # --- shape
    @property
    def channels(self) -> tuple[int, ...]:
        """(C_0, C_1, ..., C_L): channels of the input and of every convolution."""
        return (self.input_dim,) + tuple(w.shape[0] for w in self.weights)

    @property
    def widths(self) -> tuple[int, ...]:
        """Channels, then the head's outputs when there is a head: the 'neurons' of each layer."""
        extra = (self.head[0].shape[0],) if self.head is not None else ()
        return self.channels + extra

    @property
    def depth(self) -> int:
        """L: convolutions plus the head (a layer of its own)."""
        return len(self.weights) + (self.head is not None)

    @property
    def n_conv(self) -> int:
        return len(self.weights)

    @property
    def input_dim(self) -> int:
        """C_0, the input channels (the 'inputs' of Theorem W's univariate layer)."""
        w, (kh, kw) = self.weights[0], self.kernels[0]
        return int(w.shape[1] if w.ndim == 4 else w.shape[1] // (kh * kw))

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return (self.input_dim, *self.image)

    def image_sizes(self) -> list[Pair]:
        """(H_l, W_l) of the input (l = 0) and of every convolution's output."""
        out = [self.image]
        for (kh, kw), (ph, pw) in zip(self.kernels, self.padding, strict=True):
            h, w = out[-1]
            out.append((h + 2 * ph - kh + 1, w + 2 * pw - kw + 1))
        return out

    @property
    def output_shape(self) -> tuple[int, ...]:
        """(n_out,) with a head, else (C_L, H_L, W_L)."""
        if self.head is not None:
            return (self.head[0].shape[0],)
        return (self.channels[-1], *self.image_sizes()[-1])

    # --- weights
    def flat_weight(self, l: int):
        """weights[l] as (C_{l+1}, C_l*kh*kw): dense array or CSR (column j*kh*kw + dy*kw + dx)."""
        w = self.weights[l]
        return w.reshape(w.shape[0], -1) if w.ndim == 4 else w

    def kernel_weight(self, l: int) -> np.ndarray:
        """weights[l] as a dense (C_{l+1}, C_l, kh, kw) array."""
        w = self.weights[l]
        if w.ndim == 4:
            return w
        kh, kw = self.kernels[l]
        return w.toarray().reshape(w.shape[0], -1, kh, kw)

    def fan_in(self) -> list[np.ndarray]:
        """C_l (int64, n_l x n_{l-1}): for a convolution the number of nonzero kernel entries
        W_l[i, j, :, :] (the mask edges a copy of channel i needs into copies of channel j, one per
        kernel position); for the head its support (docs/theory.md §8.2)."""
        out = []
        for l in range(self.n_conv):
            out.append(np.count_nonzero(self.kernel_weight(l), axis=(2, 3)).astype(np.int64))
        if self.head is not None:
            A = self.head[0]
            out.append(((A != 0).toarray() if sp.issparse(A) else A != 0).astype(np.int64))
        return out

    def num_weights(self) -> int:
        """Number of nonzero weights (kernel entries and head)."""
        return int(sum(int(c.sum()) for c in self.fan_in()))

    # --- evaluation
    def _check_input(self, x: object, check_box: bool) -> tuple[np.ndarray, bool]:
        x = check_finite_array(x, "x")
        shape = self.input_shape
        squeeze = x.ndim == 3
        h = x[None] if squeeze else x
        if h.ndim != 4 or h.shape[1:] != shape:
            raise LTHInputError(
                f"x must have shape (batch, {shape[0]}, {shape[1]}, {shape[2]}), got {x.shape}"
            )
        if check_box:
            a, b = self.box
            if np.any(h < a) or np.any(h > b):
                raise LTHInputError(f"x must lie in the box [{a}, {b}]")
        return h, squeeze

    def forward(self, x: np.ndarray, check_box: bool = False) -> np.ndarray:
        """Evaluate on a batch ``x`` of shape (batch, C_0, H, W) (or one image (C_0, H, W));
        returns (batch, C_L, H_L, W_L), or (batch, n_out) with the head."""
        h, squeeze = self._check_input(x, check_box)
        last = self.n_conv - 1
        for l in range(self.n_conv):
            z = _conv_flat(h, self.flat_weight(l), self.biases[l], self.kernels[l], self.padding[l])
            h = np.maximum(z, 0.0) if (l < last or self.head is not None) else z
        if self.head is not None:
            A, c = self.head
            pooled = h.mean(axis=(2, 3))
            h = np.asarray((A @ pooled.T).T) + c
        return h[0] if squeeze else h

    __call__ = forward

    def unrolled(self) -> ReLUNetwork:
        """The same function as a fully connected :class:`ReLUNetwork` on the flattened image
        (C, H, W) -> C*H*W, with one sparse weight matrix per convolution built by index arithmetic
        (an independent evaluation path: no im2col); the head is a last linear layer."""
        weights, biases = [], []
        sizes = self.image_sizes()
        for l in range(self.n_conv):
            Wk = self.kernel_weight(l)
            (Hi, Wi), (Ho, Wo) = sizes[l], sizes[l + 1]
            ph, pw = self.padding[l]
            co, ci, kh, kw = Wk.shape
            rows, cols, vals = [], [], []
            oy, ox = np.meshgrid(np.arange(Ho), np.arange(Wo), indexing="ij")
            for dy in range(kh):
                for dx in range(kw):
                    iy, ix = oy + dy - ph, ox + dx - pw
                    inside = (iy >= 0) & (iy < Hi) & (ix >= 0) & (ix < Wi)
                    op = (oy * Wo + ox)[inside]
                    ip = (iy * Wi + ix)[inside]
                    o, i = np.nonzero(Wk[:, :, dy, dx])
                    rows.append((o[:, None] * (Ho * Wo) + op[None, :]).ravel())
                    cols.append((i[:, None] * (Hi * Wi) + ip[None, :]).ravel())
                    vals.append(np.repeat(Wk[o, i, dy, dx], op.size))
            M = sp.coo_array(
                (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                shape=(co * Ho * Wo, ci * Hi * Wi),
            ).tocsr()
            weights.append(M)
            biases.append(np.repeat(self.biases[l], Ho * Wo))
        if self.head is not None:
            A, c = self.head
            Ho, Wo = sizes[-1]
            pool = sp.kron(sp.csr_array(A), np.full((1, Ho * Wo), 1.0 / (Ho * Wo)), format="csr")
            weights.append(pool)
            biases.append(np.asarray(c, dtype=np.float64))
        return ReLUNetwork(tuple(weights), tuple(biases), self.box)


def random_conv_target(
    channels: Sequence[int],
    kernel: object = (3, 3),
    image: object = (8, 8),
    padding: object = "same",
    density: float = 1.0,
    weights: str = "uniform",
    bias: bool = True,
    head: bool = False,
    box: tuple[float, float] = (0.0, 1.0),
    seed: int | np.random.Generator | None = 0,
) -> ConvNetwork:
    """A random conv target with ``channels`` (input first); with ``head`` the last entry is the
    number of outputs of a pooled linear head after the convolutions.

    Every kernel entry (and head weight) is kept with probability ``density`` (every output channel
    keeps at least one entry) and drawn from U[-1, 1] (``"uniform"``) or N(0, 1/(in kh kw))
    (``"normal"``); biases U[-1/2, 1/2] when ``bias``, else 0.
    """
    ch = check_widths(channels, "channels")
    if head and len(ch) < 3:
        raise LTHInputError(
            f"channels must list at least 3 widths with a head (input, convolutions, outputs), "
            f"got {len(ch)}"
        )
    ker = parse_kernel(kernel, "kernel")
    density = check_density(density, "density")
    check_choice(weights, "weights", ("uniform", "normal"))
    rng = as_generator(seed, "seed")
    conv = ch[:-1] if head else ch
    W, B = [], []
    for n_in, n_out in zip(conv[:-1], conv[1:], strict=True):
        W.append(_random_layer(rng, (n_out, n_in, *ker), density, weights))
        B.append(rng.uniform(-0.5, 0.5, size=n_out) if bias else np.zeros(n_out))
    hd = None
    if head:
        A = _random_layer(rng, (ch[-1], conv[-1]), density, weights)
        hd = (A, rng.uniform(-0.5, 0.5, size=ch[-1]) if bias else np.zeros(ch[-1]))
    return ConvNetwork(tuple(W), tuple(B), parse_kernel(image, "image"), padding, None, hd, box)


def _random_layer(rng: np.random.Generator, shape: tuple, density: float, kind: str) -> np.ndarray:
    fan = int(np.prod(shape[1:]))
    if kind == "uniform":
        w = rng.uniform(-1.0, 1.0, size=shape)
    else:
        w = rng.normal(0.0, 1.0 / np.sqrt(fan), size=shape)
    if density < 1.0:
        keep = rng.random((shape[0], fan)) < density
        empty = ~keep.any(axis=1)
        keep[np.flatnonzero(empty), rng.integers(0, fan, size=int(empty.sum()))] = True
        w = np.where(keep.reshape(shape), w, 0.0)
    return w


def image_points(
    net: ConvNetwork,
    n: int,
    rng: np.random.Generator | int | None = None,
    corners: int = 64,
    border: int = 64,
) -> np.ndarray:
    """Test images in the box: ``n`` uniform ones, ``corners`` random corners of the box (every pixel
    at a or b), and ``border`` images that are uniform inside and at a or b on the border pixels
    (first and last rows and columns), where zero padding and the bias shift meet."""
    check_conv_network(net, "net")
    n = check_positive_int(n, "n", minimum=0)
    corners = check_positive_int(corners, "corners", minimum=0)
    border = check_positive_int(border, "border", minimum=0)
    rng = as_generator(0 if rng is None else rng, "rng")
    a, b = net.box
    shape = net.input_shape
    parts = [rng.uniform(a, b, size=(n, *shape))]
    parts.append(np.where(rng.integers(0, 2, size=(corners, *shape)) == 1, b, a))
    imgs = rng.uniform(a, b, size=(border, *shape))
    edge = np.zeros(shape[1:], dtype=bool)
    edge[[0, -1], :] = True
    edge[:, [0, -1]] = True
    ext = np.where(rng.integers(0, 2, size=(border, *shape)) == 1, b, a)
    imgs[:, :, edge] = ext[:, :, edge]
    parts.append(imgs)
    return np.concatenate(parts).astype(np.float64)


def check_conv_network(net: object, name: str = "target") -> ConvNetwork:
    """``net`` itself when it is a :class:`ConvNetwork`; a one-line :class:`LTHInputError` otherwise."""
    if not isinstance(net, ConvNetwork):
        raise LTHInputError(f"{name} must be a ConvNetwork, got {type(net).__name__}")
    return net
