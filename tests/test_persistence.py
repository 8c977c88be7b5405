"""save/load round trips, and every kind of hostile or broken file refused clearly."""

import contextlib
import errno
import io
import json
import os
import resource
import signal
import socket
import sys
import zipfile

import numpy as np
import pytest

import tensorgen as tg
from tensorgen import persistence
from tensorgen._kernels import _arrays


@pytest.fixture
def net():
    return tg.Network([3, 5, 4, 2], activation="leaky_relu", loss="cross_entropy", seed=3)


def test_round_trip_predictions_exactly(net, tmp_path):
    path = tmp_path / "model.npz"
    net.save(path, metadata={"features": ["a", "b", "c"], "mean": [0.1, 1e-300, 3.0]})
    loaded = tg.Network.load(path)
    X = np.random.default_rng(0).normal(size=(7, 3))
    np.testing.assert_array_equal(loaded.predict(X), net.predict(X))
    np.testing.assert_array_equal(loaded.params, net.params)
    assert repr(loaded) == repr(net)
    assert loaded.metadata == {"features": ["a", "b", "c"], "mean": [0.1, 1e-300, 3.0]}
    assert sorted(zipfile.ZipFile(path).namelist()) == ["header.npy", "params.npy"]


def test_save_writes_exactly_the_given_name(net, tmp_path):
    net.save(tmp_path / "model.bin")
    assert [p.name for p in tmp_path.iterdir()] == ["model.bin"]
    with pytest.raises(ValueError, match="metadata: not JSON"):
        net.save(tmp_path / "x.npz", metadata={"f": object()})


def header_of(net, **changes):
    header = {"format": "tensorgen-network", "format_version": 1, "library_version": "0.1.0",
              "network": net._config(), "n_params": net.n_params, "metadata": {}}
    header.update(changes)
    return header


def npy(arr):
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=True)
    return buf.getvalue()


def write_zip(path, members, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression=compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def archive(net, tmp_path, header=None, params=None, extra=None):
    header = header_of(net) if header is None else header
    members = {"header.npy": npy(np.frombuffer(json.dumps(header).encode(), np.uint8)),
               "params.npy": npy(net.params if params is None else params)}
    members.update(extra or {})
    return write_zip(tmp_path / "bad.npz", members)


def npy_claiming(shape):
    """A .npy whose header claims ``shape`` but holds 16 bytes of data."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": "<f8", "fortran_order": False, "shape": shape})
    return buf.getvalue() + bytes(16)


HOSTILE = {
    "not-a-zip": lambda net, tmp: (tmp / "x.npz").write_bytes(b"hello, not ours") and tmp /
    "x.npz",
    "plain-npy": lambda net, tmp: (tmp / "x.npz").write_bytes(npy(np.zeros(3))) and tmp /
    "x.npz",
    "pickled-params": lambda net, tmp: archive(net, tmp,
                                               params=np.array([{"a": 1}], dtype=object)),
    "pickled-header": lambda net, tmp: write_zip(
        tmp / "x.npz", {"header.npy": npy(np.array(["x"], dtype=object)),
                        "params.npy": npy(net.params)}),
    "path-member": lambda net, tmp: archive(net, tmp, extra={"../evil.npy": b"x"}),
    "absolute-member": lambda net, tmp: archive(net, tmp, extra={"/etc/evil.npy": b"x"}),
    "unknown-member": lambda net, tmp: archive(net, tmp, extra={"payload.npy": b"x"}),
    "missing-member": lambda net, tmp: write_zip(tmp / "x.npz", {"params.npy": npy(net.params)}),
    "wrong-version": lambda net, tmp: archive(net, tmp, header_of(net, format_version=2)),
    "not-our-header": lambda net, tmp: archive(net, tmp, header_of(net, format="keras")),
    "header-not-json": lambda net, tmp: write_zip(
        tmp / "x.npz", {"header.npy": npy(np.frombuffer(b"{nope", np.uint8)),
                        "params.npy": npy(net.params)}),
    "mismatched-shape": lambda net, tmp: archive(net, tmp, params=np.zeros(net.n_params - 1)),
    "wrong-dtype": lambda net, tmp: archive(net, tmp, params=net.params.astype(np.float32)),
    "n-params-lie": lambda net, tmp: archive(net, tmp, header_of(net, n_params=5)),
    "absurd-layers": lambda net, tmp: archive(
        net, tmp, header_of(net, network={**net._config(), "layers": [10**6, 10**6, 10**6]},
                            n_params=2 * 10**12 + 2 * 10**6)),
    "absurd-npy-shape": lambda net, tmp: write_zip(
        tmp / "x.npz", {"header.npy": npy(np.frombuffer(json.dumps(header_of(net)).encode(),
                                                        np.uint8)),
                        "params.npy": npy_claiming((net.n_params,))}),
    "bad-activation": lambda net, tmp: archive(
        net, tmp, header_of(net, network={**net._config(), "activation": "swish"})),
    "nan-params": lambda net, tmp: archive(net, tmp, params=np.full(net.n_params, np.nan)),
}
MESSAGES = {
    "not-a-zip": "not a TensorGen model file",
    "plain-npy": "not a TensorGen model file",
    "pickled-params": "pickled Python objects",
    "pickled-header": "pickled Python objects",
    "path-member": "is a path",
    "absolute-member": "is a path",
    "unknown-member": "unknown member 'payload.npy'",
    "missing-member": "missing members",
    "wrong-version": "format version 2 is not supported",
    "not-our-header": "header format is not",
    "header-not-json": "not valid JSON",
    "mismatched-shape": "mismatched shapes",
    "wrong-dtype": "float32",
    "n-params-lie": "mismatched shapes",
    "absurd-layers": "more than the",
    "absurd-npy-shape": "truncated or forged",
    "bad-activation": "invalid network",
    "nan-params": "NaN",
}


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_files_give_clear_errors(kind, net, tmp_path):
    path = HOSTILE[kind](net, tmp_path)
    with pytest.raises(ValueError, match=MESSAGES[kind]):
        tg.Network.load(path)


def test_truncated_files(net, tmp_path):
    path = tmp_path / "model.npz"
    net.save(path)
    data = path.read_bytes()
    for cut in (10, len(data) // 2, len(data) - 5):
        (tmp_path / "cut.npz").write_bytes(data[:cut])
        with pytest.raises(ValueError, match="truncated or corrupt"):
            tg.Network.load(tmp_path / "cut.npz")


def test_zip_bomb_is_refused_from_the_directory(net, tmp_path):
    # 64 MiB of zeros in a few KiB: refused by its declared size before decompressing
    bomb = write_zip(tmp_path / "bomb.npz", {
        "header.npy": npy(np.frombuffer(json.dumps(header_of(net)).encode(), np.uint8)),
        "params.npy": bytes(64 << 20)}, compression=zipfile.ZIP_DEFLATED)
    assert bomb.stat().st_size < 1 << 20
    with pytest.raises(ValueError, match="zip bomb"):
        persistence.read(bomb, max_bytes=16 << 20)
    with pytest.raises(ValueError, match="params.npy"):
        persistence.read(bomb)


def test_corrupted_data_is_caught_by_the_checksum(net, tmp_path):
    path = tmp_path / "model.npz"
    net.save(path)
    data = bytearray(path.read_bytes())
    where = data.index(net.params.tobytes()[:8])
    data[where] ^= 0xFF
    (tmp_path / "flip.npz").write_bytes(bytes(data))
    with pytest.raises(ValueError, match="corrupt"):
        tg.Network.load(tmp_path / "flip.npz")


# ---- what load opens: regular files only, their size checked before reading ----


@contextlib.contextmanager
def deadline(seconds):
    """Fail, instead of hanging, when a call blocks: SIGALRM interrupts the blocked system
    call and the handler's exception ends it (PEP 475)."""
    def expire(signum, frame):
        raise TimeoutError(f"still blocked after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def refused_naming(path, match, **options):
    with deadline(5), pytest.raises(ValueError, match=match) as info:
        tg.Network.load(path, **options)
    assert str(path) in str(info.value)


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not hasattr(signal, "setitimer"),
                    reason="FIFOs (os.mkfifo) and SIGALRM exist on POSIX systems only")
def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "model.npz"
    os.mkfifo(fifo)  # no writer: a blocking open() would wait forever
    refused_naming(fifo, "not a regular file")


@pytest.mark.skipif(not os.path.exists("/dev/zero") or not hasattr(signal, "setitimer"),
                    reason="no /dev/zero (or no SIGALRM) on this system")
def test_a_device_is_refused_without_reading_it():
    # the old code read max_bytes + 1 bytes of zeros (4 GiB by default) before refusing
    refused_naming("/dev/zero", "not a regular file", max_bytes=1 << 20)


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix-domain sockets here")
def test_a_socket_is_refused(tmp_path):
    path = tmp_path / "s.npz"
    with socket.socket(socket.AF_UNIX) as server:
        try:
            server.bind(str(path))
        except OSError as exc:  # a tmp_path longer than sun_path holds
            pytest.skip(f"cannot bind a Unix socket at {path}: {exc}")
        refused_naming(path, "cannot be opened|not a regular file")


def test_a_directory_is_refused_naming_it(tmp_path):
    refused_naming(tmp_path, "not a regular file|cannot be opened")


def test_an_unreadable_file_is_refused(net, tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    net.save(path)
    real_open = os.open

    def denied(file, *args, **kwargs):  # what open(2) says for a file without read access
        if os.fspath(file) == str(path):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(os, "open", denied)
    refused_naming(path, "cannot be opened")


def test_a_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        tg.Network.load(tmp_path / "missing.npz")


@pytest.fixture
def sparse_tib(tmp_path):
    """A 1 TiB file that takes no room: 'PK\\x03\\x04' and a hole."""
    huge = tmp_path / "huge.npz"
    with open(huge, "wb") as f:
        f.write(b"PK\x03\x04")
        try:
            f.truncate(1 << 40)
        except OSError as exc:
            pytest.skip(f"this file system has no sparse 1 TiB files: {exc}")
    return huge


@pytest.mark.parametrize("max_bytes, match", [
    (None, "more than max_bytes"),  # the old code read 4 GiB of it, then refused
    (1 << 50, "bytes of memory")])  # the old code raised MemoryError
def test_the_size_is_checked_before_reading(sparse_tib, max_bytes, match):
    if match == "bytes of memory" and not _arrays.physical_memory():
        pytest.skip("the physical memory size is unknown here")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    refused_naming(sparse_tib, match, max_bytes=max_bytes)
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak
    assert grown * (1024 if sys.platform != "darwin" else 1) < 64 << 20


@pytest.mark.parametrize("max_bytes, error", [
    ("1000", TypeError), (1.5e9, TypeError), (True, TypeError), (None, None), (-1, ValueError),
    (2**63, None), (10**30, None)], ids=repr)
def test_max_bytes_is_checked(net, tmp_path, max_bytes, error):
    path = tmp_path / "model.npz"
    net.save(path)
    if error is None:  # no limit worth the name (None: the default)
        np.testing.assert_array_equal(tg.Network.load(path, max_bytes=max_bytes).params,
                                      net.params)
        return
    with pytest.raises(error, match="max_bytes"):
        tg.Network.load(path, max_bytes=max_bytes)
