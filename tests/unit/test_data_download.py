"""MNIST download: local mirrors (file:// and http.server on loopback), checksums, cache, offline errors."""

import functools
import gzip
import hashlib
import http.server
import socket
import struct
import threading
import urllib.request

import numpy as np
import pytest

from models.data import DataError, load
from models.data import _mnist
from models.data._mnist import FILES, download_mnist

N_TRAIN, N_TEST = 12, 4


def _idx(array: np.ndarray) -> bytes:
    return struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


@pytest.fixture
def mirror(tmp_path):
    """A directory holding a small MNIST-shaped set under the standard names, and its SHA-256 table."""
    rng = np.random.default_rng(1)
    arrays = [
        rng.integers(0, 256, (N_TRAIN, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, N_TRAIN, dtype=np.uint8),
        rng.integers(0, 256, (N_TEST, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, N_TEST, dtype=np.uint8),
    ]
    directory = tmp_path / "mirror"
    directory.mkdir()
    table = {}
    for name, array in zip(FILES, arrays):
        payload = gzip.compress(_idx(array))
        (directory / name).write_bytes(payload)
        table[name] = hashlib.sha256(payload).hexdigest()
    return directory, table, arrays


@pytest.fixture
def http_mirror(mirror):
    """The mirror directory served by http.server on 127.0.0.1; yields (base URL, request log)."""
    directory, _, _ = mirror
    requests = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):  # keep pytest output clean; record instead
            requests.append(self.path)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=directory))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", requests
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def closed_port_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"  # nothing listens: connection refused


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _no_leftovers(cache):
    return not [p for p in cache.iterdir() if p.name.endswith(".part")]


def test_download_from_file_url(tmp_path, mirror):
    directory, table, _ = mirror
    cache = tmp_path / "cache"
    paths = download_mnist(cache, mirrors=[directory.as_uri() + "/"], checksums=table)
    assert set(paths) == set(FILES)
    assert all(_sha(paths[name]) == table[name] and paths[name].parent == cache for name in FILES)
    assert _no_leftovers(cache)


def test_download_from_http_server(tmp_path, mirror, http_mirror):
    _, table, _ = mirror
    url, requests = http_mirror
    paths = download_mnist(tmp_path / "cache", mirrors=[url], checksums=table)
    assert all(_sha(paths[name]) == table[name] for name in FILES)
    assert len(requests) == 4


def test_first_mirror_failing_second_succeeding(tmp_path, mirror, http_mirror, closed_port_url):
    directory, table, _ = mirror
    url, _ = http_mirror
    missing = (tmp_path / "empty").as_uri() + "/"  # file:// mirror without the files
    for mirrors in ([closed_port_url, url], [missing, directory.as_uri()], [url + "nothing-here/", url]):
        cache = tmp_path / f"cache{len(list(tmp_path.iterdir()))}"
        paths = download_mnist(cache, mirrors=mirrors, checksums=table)
        assert all(_sha(paths[name]) == table[name] for name in FILES), mirrors


def test_checksum_mismatch_is_an_error_and_leaves_nothing(tmp_path, mirror, http_mirror):
    _, table, _ = mirror
    url, _ = http_mirror
    wrong = "0" * 64
    bad = {**table, "t10k-images-idx3-ubyte.gz": wrong}
    cache = tmp_path / "cache"
    with pytest.raises(DataError) as info:
        download_mnist(cache, mirrors=[url], checksums=bad)
    message = str(info.value)
    assert "checksum mismatch for t10k-images-idx3-ubyte.gz" in message
    assert wrong in message and table["t10k-images-idx3-ubyte.gz"] in message  # expected and actual
    assert not (cache / "t10k-images-idx3-ubyte.gz").exists()
    assert _no_leftovers(cache)


def test_bad_mirror_hash_falls_through_to_good_mirror(tmp_path, mirror):
    directory, table, _ = mirror
    liar = tmp_path / "liar"
    liar.mkdir()
    for name in FILES:
        (liar / name).write_bytes(b"not mnist")
    paths = download_mnist(tmp_path / "cache", mirrors=[liar.as_uri(), directory.as_uri()], checksums=table)
    assert all(_sha(paths[name]) == table[name] for name in FILES)


def test_all_mirrors_failing_says_how_to_work_offline(tmp_path, mirror, closed_port_url):
    _, table, _ = mirror
    with pytest.raises(DataError) as info:
        download_mnist(tmp_path / "cache", mirrors=[closed_port_url, (tmp_path / "none").as_uri()], checksums=table)
    message = str(info.value)
    for needle in ("could not download train-images-idx3-ubyte.gz", closed_port_url, "cache_dir=",
                   "GAMMASWEEP_DATA_DIR", "mnist_5k", "t10k-labels-idx1-ubyte.gz"):
        assert needle in message


def test_cached_files_are_used_without_network(tmp_path, mirror, monkeypatch):
    directory, table, _ = mirror
    cache = tmp_path / "cache"
    download_mnist(cache, mirrors=[directory.as_uri()], checksums=table)

    def no_network(*args, **kwargs):
        raise AssertionError("network used although the cache was complete")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    paths = download_mnist(cache, mirrors=["https://example.invalid/"], checksums=table)
    assert all(_sha(paths[name]) == table[name] for name in FILES)


def test_corrupt_cached_file_is_replaced_or_reported(tmp_path, mirror, closed_port_url):
    directory, table, _ = mirror
    cache = tmp_path / "cache"
    download_mnist(cache, mirrors=[directory.as_uri()], checksums=table)
    (cache / "train-labels-idx1-ubyte.gz").write_bytes(b"garbage")
    with pytest.raises(DataError, match=r"cached copy .*train-labels-idx1-ubyte\.gz has SHA-256 [0-9a-f]{64}, expected"):
        download_mnist(cache, mirrors=[closed_port_url], checksums=table)
    download_mnist(cache, mirrors=[directory.as_uri()], checksums=table)
    assert _sha(cache / "train-labels-idx1-ubyte.gz") == table["train-labels-idx1-ubyte.gz"]


def _point_mnist_at(monkeypatch, mirror):
    directory, table, _ = mirror
    monkeypatch.setattr(_mnist, "MNIST_MIRRORS", (directory.as_uri(),))
    monkeypatch.setattr(_mnist, "MNIST_SHA256", table)
    monkeypatch.setattr(_mnist, "_SIZES", {"mnist": (N_TRAIN, N_TEST)})


def test_load_mnist_end_to_end(tmp_path, mirror, monkeypatch):
    _point_mnist_at(monkeypatch, mirror)
    _, _, (x_train, y_train, x_test, y_test) = mirror
    ds = load("mnist", cache_dir=tmp_path / "cache", dtype="float64", n_val=3)
    assert ds.x_train.shape == (N_TRAIN - 3, 784) and ds.x_test.shape == (N_TEST, 784)
    np.testing.assert_array_equal(ds.x_train, x_train.reshape(N_TRAIN, 784)[:-3] / 255.0)
    np.testing.assert_array_equal(ds.x_val, x_train.reshape(N_TRAIN, 784)[-3:] / 255.0)
    np.testing.assert_array_equal(ds.y_test, y_test)
    assert ds.fingerprint.startswith(f"mnist:{N_TRAIN - 3}+3+{N_TEST}x784:")
    five = load("mnist", cache_dir=tmp_path / "cache", n_train=5, n_val=3)
    assert five.fingerprint.startswith(f"mnist:5+3+{N_TEST}x784:")


def test_cache_dir_from_environment(tmp_path, mirror, monkeypatch):
    _point_mnist_at(monkeypatch, mirror)
    monkeypatch.setenv("GAMMASWEEP_DATA_DIR", str(tmp_path / "envcache"))
    load("mnist", n_val=2)
    assert sorted(p.name for p in (tmp_path / "envcache").iterdir()) == sorted(FILES)
