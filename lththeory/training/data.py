"""Datasets for training inside ER masks (docs/theory.md §7.1); nothing is downloaded at run time.

* ``digits``: scikit-learn's bundled 8x8 digits (1,797 images); train/val/test 70/10/20 % drawn from
  the run seed.
* ``mnist1d``: the MNIST-1D benchmark (40-sample signals, 10 classes) generated offline by the
  ``mnist1d`` package's own generator (``mnist1d.data.make_dataset`` with its default arguments and its
  built-in templates; its download function is never called); the package's 4,000/1,000 train/test
  split, 10 % of train held out for validation.
* ``fashion-mnist``: the 60,000/10,000 Fashion-MNIST IDX files of the Debian package
  ``dataset-fashion-mnist`` (``/usr/share/datasets/fashion-mnist``) or of a folder given as
  ``data_dir``; 5,000 training images (1/12 of a smaller file) held out for validation.

Inputs are standardised per feature with the training split's mean and standard deviation
(features with zero spread are only centred). Splits depend only on the SeedSequence passed in (the
run seed), so every variant and every trial of a run sees the same split.
"""

from __future__ import annotations

import functools
import os
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._validate import LTHInputError, as_generator, check_choice, check_positive_int
from .idx import read_idx

__all__ = [
    "DATASETS",
    "FASHION_FILES",
    "FASHION_MNIST_DIR",
    "Dataset",
    "check_available",
    "fashion_mnist_arrays",
    "load_dataset",
    "mnist1d_arrays",
]

DATASETS = ("digits", "mnist1d", "fashion-mnist")
FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
"""Where ``apt-get install dataset-fashion-mnist`` puts the IDX files."""
FASHION_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
_TRAIN_EXTRA = 'pip install -e ".[train]"'


@dataclass(frozen=True, eq=False)
class Dataset:
    """Standardised float32 inputs (n, *input_shape) and int64 labels of the three splits."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one input: (1, H, W) for images, (d,) for signals."""
        return tuple(self.x_train.shape[1:])

    @property
    def input_dim(self) -> int:
        return int(np.prod(self.input_shape))

    def sizes(self) -> tuple[int, int, int]:
        return len(self.y_train), len(self.y_val), len(self.y_test)


def _digits() -> tuple[np.ndarray, np.ndarray]:
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise LTHInputError(
            f"--dataset digits needs scikit-learn: install it with {_TRAIN_EXTRA}"
        ) from None
    d = load_digits()
    return d.images.astype(np.float32)[:, None], d.target.astype(np.int64)


@functools.lru_cache(maxsize=2)
def mnist1d_arrays(seed: int = 42) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, y_train, x_test, y_test) of MNIST-1D from the package's generator (offline).

    ``seed`` is the generator's dataset seed (42 defines the published benchmark). The generator
    draws from numpy's and Python's global random state; both are saved and restored around it.
    """
    try:
        from mnist1d.data import get_dataset_args, make_dataset
    except ImportError:
        raise LTHInputError(
            f"--dataset mnist1d needs the mnist1d package: install it with {_TRAIN_EXTRA}"
        ) from None
    args = get_dataset_args()
    args.seed = int(seed)
    # the package draws from the global states; ours are left as they were
    np_state, py_state = np.random.get_state(), random.getstate()  # noqa: NPY002
    try:
        d = make_dataset(args)
    finally:
        np.random.set_state(np_state)  # noqa: NPY002
        random.setstate(py_state)
    return (
        np.asarray(d["x"], np.float32),
        np.asarray(d["y"], np.int64),
        np.asarray(d["x_test"], np.float32),
        np.asarray(d["y_test"], np.int64),
    )


def _find(folder: Path, stem: str) -> Path | None:
    for name in (stem + ".gz", stem, stem.replace("-idx", ".idx")):
        if (folder / name).is_file():
            return folder / name
    return None


@functools.lru_cache(maxsize=1)
def fashion_mnist_arrays(data_dir: str | None = None) -> dict[str, np.ndarray]:
    """The four Fashion-MNIST arrays from their IDX files (``data_dir`` or the Debian package's
    folder); one line saying how to install them when they are absent."""
    folder = Path(data_dir) if data_dir else FASHION_MNIST_DIR
    out = {}
    for key, stem in FASHION_FILES.items():
        path = _find(folder, stem)
        if path is None:
            raise LTHInputError(
                f"Fashion-MNIST file {stem}[.gz] not found in {folder}: install the Debian package "
                "(apt-get install dataset-fashion-mnist) or pass --data-dir DIR holding the four "
                "IDX files"
            )
        out[key] = read_idx(path)
    for part in ("train", "test"):
        x, y = out[f"x_{part}"], out[f"y_{part}"]
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
            raise LTHInputError(
                f"Fashion-MNIST {part} files in {folder} do not match: images {x.shape}, labels "
                f"{y.shape}"
            )
    return out


def check_available(name: str, data_dir: str | os.PathLike | None = None) -> None:
    """Refuse, in one line saying how to install it, a dataset whose files or package are absent
    (without loading it)."""
    check_choice(name, "--dataset", DATASETS)
    if name == "fashion-mnist":
        folder = Path(data_dir) if data_dir else FASHION_MNIST_DIR
        for stem in FASHION_FILES.values():
            if _find(folder, stem) is None:
                raise LTHInputError(
                    f"Fashion-MNIST file {stem}[.gz] not found in {folder}: install the Debian "
                    "package (apt-get install dataset-fashion-mnist) or pass --data-dir DIR holding "
                    "the four IDX files"
                )
        return
    import importlib.util

    module = {"digits": "sklearn", "mnist1d": "mnist1d"}[name]
    if importlib.util.find_spec(module) is None:
        raise LTHInputError(
            f"--dataset {name} needs the {module} package: install it with {_TRAIN_EXTRA}"
        )


def _standardise(train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    flat = train.reshape(len(train), -1).astype(np.float64)
    mean = flat.mean(axis=0)
    std = flat.std(axis=0)
    std[std < 1e-8] = 1.0
    shape = train.shape[1:]

    def f(a: np.ndarray) -> np.ndarray:
        z = (a.reshape(len(a), -1).astype(np.float64) - mean) / std
        return z.reshape((len(a), *shape)).astype(np.float32)

    return [f(train)] + [f(a) for a in others]


def _holdout(n: int, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(kept, held out): ``k`` of ``range(n)`` held out uniformly, both sorted."""
    perm = rng.permutation(n)
    return np.sort(perm[k:]), np.sort(perm[:k])


def load_dataset(
    name: str,
    rng: np.random.Generator | np.random.SeedSequence | int,
    data_dir: str | os.PathLike | None = None,
    max_train: int | None = None,
) -> Dataset:
    """Dataset ``name`` with its fixed train/val/test split drawn from ``rng`` (docs/theory.md §7.1).

    ``max_train`` keeps the first that many training examples of the (shuffled) split, for quick
    runs; validation and test splits are never cut.
    """
    check_choice(name, "--dataset", DATASETS)
    g = as_generator(rng, "rng")
    if name == "digits":
        x, y = _digits()
        perm = g.permutation(len(y))
        n_test = int(round(0.2 * len(y)))
        n_val = int(round(0.1 * len(y)))
        te, va, tr = perm[:n_test], perm[n_test : n_test + n_val], perm[n_test + n_val :]
        parts = (x[tr], y[tr], x[va], y[va], x[te], y[te])
    else:
        if name == "mnist1d":
            x, y, x_te, y_te = mnist1d_arrays()
            n_val = int(round(0.1 * len(y)))
        else:
            arrs = fashion_mnist_arrays(None if data_dir is None else str(data_dir))
            x = arrs["x_train"].astype(np.float32)[:, None]
            y = arrs["y_train"].astype(np.int64)
            x_te = arrs["x_test"].astype(np.float32)[:, None]
            y_te = arrs["y_test"].astype(np.int64)
            n_val = min(5000, len(y) // 12)
        tr, va = _holdout(len(y), n_val, g)
        tr = g.permutation(tr)
        parts = (x[tr], y[tr], x[va], y[va], x_te, y_te)
    x_tr, y_tr, x_va, y_va, x_te, y_te = parts
    if max_train is not None:
        m = check_positive_int(max_train, "max_train")
        x_tr, y_tr = x_tr[:m], y_tr[:m]
    x_tr, x_va, x_te = _standardise(x_tr, x_va, x_te)
    n_classes = int(max(y_tr.max(), y_va.max(), y_te.max()) + 1)
    return Dataset(name, x_tr, y_tr, x_va, y_va, x_te, y_te, n_classes)
