"""Datasets of claim 4: the IDX reader on tiny files written here, splits from the run seed,
standardisation, MNIST-1D generated offline, absent Fashion-MNIST files refused in one line."""

import gzip

import numpy as np
import pytest

from lththeory import LTHInputError
from lththeory.training import data as tdata
from lththeory.training.idx import read_idx, write_idx


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize(
    "dtype,shape",
    [(np.uint8, (3, 4, 5)), (np.int32, (7,)), (np.float32, (2, 3)), (np.float64, (4, 1, 2))],
)
def test_idx_round_trip(tmp_path, compress, dtype, shape):
    rng = np.random.default_rng(0)
    arr = (rng.normal(size=shape) * 50).astype(dtype)
    path = tmp_path / ("a.idx.gz" if compress else "a.idx")
    write_idx(path, arr)
    raw = path.read_bytes()
    assert (raw[:2] == b"\x1f\x8b") == compress
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.shape == shape
    np.testing.assert_array_equal(back, arr)


def test_idx_reads_a_handwritten_mnist_style_file(tmp_path):
    """An independent encoding, byte by byte: magic 0x00000803 (uint8, 3 dims), sizes 2, 2, 3."""
    payload = bytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3]) + bytes(range(12))
    (tmp_path / "x-idx3-ubyte.gz").write_bytes(gzip.compress(payload))
    arr = read_idx(tmp_path / "x-idx3-ubyte.gz")
    np.testing.assert_array_equal(arr, np.arange(12, dtype=np.uint8).reshape(2, 2, 3))
    labels = bytes([0, 0, 8, 1, 0, 0, 0, 3, 9, 0, 4])
    (tmp_path / "y").write_bytes(labels)
    np.testing.assert_array_equal(read_idx(tmp_path / "y"), [9, 0, 4])


@pytest.mark.parametrize(
    "payload,message",
    [
        (b"\x01\x00\x08\x01\x00\x00\x00\x01\x05", "bad magic"),
        (b"\x00\x00\x07\x01\x00\x00\x00\x01\x05", "unknown IDX data type"),
        (b"\x00\x00\x08\x02\x00\x00\x00\x01", "truncated IDX header"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x03\x05", "promises 3 data bytes"),
    ],
)
def test_idx_malformed_files_are_refused_in_one_line(tmp_path, payload, message):
    (tmp_path / "bad").write_bytes(payload)
    with pytest.raises(LTHInputError, match=message) as e:
        read_idx(tmp_path / "bad")
    assert "\n" not in str(e.value)


def test_absent_fashion_mnist_says_how_to_install(tmp_path):
    with pytest.raises(LTHInputError) as e:
        tdata.check_available("fashion-mnist", tmp_path)
    msg = str(e.value)
    assert "apt-get install dataset-fashion-mnist" in msg and "--data-dir" in msg
    assert "\n" not in msg


def _fake_fashion(folder, n_train=30, n_test=10):
    rng = np.random.default_rng(1)
    for part, n in (("train", n_train), ("t10k", n_test)):
        write_idx(
            folder / f"{part}-images-idx3-ubyte.gz",
            rng.integers(0, 256, (n, 28, 28)).astype(np.uint8),
        )
        write_idx(folder / f"{part}-labels-idx1-ubyte.gz", (np.arange(n) % 10).astype(np.uint8))


def test_fashion_mnist_from_a_given_folder(tmp_path):
    """A folder of (fake) IDX files: images become (n, 1, 28, 28), 5,000/60,000 of train held out."""
    _fake_fashion(tmp_path)
    tdata.fashion_mnist_arrays.cache_clear()
    ds = tdata.load_dataset("fashion-mnist", 0, data_dir=tmp_path)
    assert ds.input_shape == (1, 28, 28) and ds.n_classes == 10
    assert ds.sizes() == (28, 2, 10)
    tdata.fashion_mnist_arrays.cache_clear()


def test_digits_splits_are_fixed_by_the_seed_and_standardised():
    pytest.importorskip("sklearn")
    a = tdata.load_dataset("digits", np.random.SeedSequence(3))
    b = tdata.load_dataset("digits", np.random.SeedSequence(3))
    c = tdata.load_dataset("digits", np.random.SeedSequence(4))
    assert a.sizes() == (1258, 180, 359) and a.input_shape == (1, 8, 8)
    np.testing.assert_array_equal(a.x_test, b.x_test)
    np.testing.assert_array_equal(a.y_train, b.y_train)
    assert not np.array_equal(a.y_test, c.y_test)
    flat = a.x_train.reshape(len(a.x_train), -1)
    spread = flat.std(axis=0) > 0
    np.testing.assert_allclose(flat.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(flat.std(axis=0)[spread], 1, atol=1e-4)
    # the three splits partition the 1,797 images
    assert sum(a.sizes()) == 1797


def test_mnist1d_is_generated_offline_and_leaves_global_state_alone(monkeypatch):
    pytest.importorskip("mnist1d")
    import requests

    def refuse(*a, **k):
        raise AssertionError("the mnist1d download function must not be called")

    monkeypatch.setattr(requests, "get", refuse)
    tdata.mnist1d_arrays.cache_clear()
    np.random.seed(123)  # noqa: NPY002 (checks that the generator restores the global state)
    before = np.random.random()  # noqa: NPY002
    np.random.seed(123)  # noqa: NPY002
    ds = tdata.load_dataset("mnist1d", np.random.default_rng(0))
    after = np.random.random()  # noqa: NPY002
    assert before == after
    assert ds.input_shape == (40,) and ds.n_classes == 10
    assert ds.sizes() == (3600, 400, 1000)
    # the generator is deterministic: the published benchmark's seed gives the same arrays
    x1 = tdata.mnist1d_arrays()[0]
    tdata.mnist1d_arrays.cache_clear()
    np.testing.assert_array_equal(x1, tdata.mnist1d_arrays()[0])


@pytest.mark.slow
def test_debian_fashion_mnist_loads():
    """The installed Debian package: 55,000 / 5,000 / 10,000 images, 10 balanced test classes."""
    try:
        tdata.check_available("fashion-mnist")
    except LTHInputError:
        pytest.skip("dataset-fashion-mnist is not installed")
    ds = tdata.load_dataset("fashion-mnist", 0)
    assert ds.sizes() == (55000, 5000, 10000)
    assert np.all(np.bincount(ds.y_test) == 1000)
