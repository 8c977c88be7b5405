"""save/load round trips, and every kind of hostile or broken file refused clearly."""

import contextlib
import errno
import io
import json
import os
import resource
import signal
import socket
import struct
import subprocess
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


# ---- every header field checked by type and range; every refusal names the path ----


def raw_header(net, tmp_path, text):
    """An archive whose header member holds ``text`` (bytes) verbatim."""
    return write_zip(tmp_path / "raw.npz", {
        "header.npy": npy(np.frombuffer(text, np.uint8)), "params.npy": npy(net.params)})


def network_with(net, **changes):
    return {key: value for key, value in {**net._config(), **changes}.items()
            if value is not DROP}


DROP = object()
HUGE = 10**300
BAD_FIELDS = {  # header changes -> what the message says
    "format_version-true": (dict(format_version=True), "format version"),
    "format_version-float": (dict(format_version=1.0), "format version"),
    "format_version-huge": (dict(format_version=HUGE), "format version"),
    "n_params-float": (lambda net: dict(n_params=float(net.n_params)), "n_params"),
    "n_params-negative": (dict(n_params=-1), "mismatched shapes"),
    "n_params-huge": (dict(n_params=HUGE), "mismatched shapes"),
    "library_version-int": (dict(library_version=HUGE), "library_version"),
    "library_version-null": (dict(library_version=None), "library_version"),
    "extra-key": (dict(payload=[1, 2]), "keys"),
    "metadata-list": (dict(metadata=[1, 2]), "metadata"),
    "network-list": (dict(network=[3, 5]), "network"),
    "layers-huge": (lambda net: dict(network=network_with(net, layers=[3, HUGE, 2])), "layers"),
    "layers-negative": (lambda net: dict(network=network_with(net, layers=[3, -5, 2])),
                        "layers"),
    "layers-bool": (lambda net: dict(network=network_with(net, layers=[3, True, 2])),
                    "layers"),
    "layers-too-many": (lambda net: dict(
        network=network_with(net, layers=[1] * 20_001), n_params=40_000), "layers"),
    "layers-missing": (lambda net: dict(network=network_with(net, layers=DROP)), "layers"),
    "seed-negative": (lambda net: dict(network=network_with(net, seed=-1)), "seed"),
    "seed-float": (lambda net: dict(network=network_with(net, seed=1e300)), "seed"),
    "seed-bool": (lambda net: dict(network=network_with(net, seed=True)), "seed"),
    "loss-missing": (lambda net: dict(network=network_with(net, loss=DROP)), "loss"),
    "activation-int": (lambda net: dict(network=network_with(net, activation=HUGE)),
                       "activation"),
    "output_activation-null": (lambda net: dict(
        network=network_with(net, output_activation=None)), "output_activation"),
    "dtype-f8": (lambda net: dict(network=network_with(net, dtype="f8")), "dtype"),
    "dtype-huge": (lambda net: dict(network=network_with(net, dtype=HUGE)), "dtype"),
    "dtype-list": (lambda net: dict(network=network_with(net, dtype=["float64"])), "dtype"),
}


@pytest.mark.parametrize("kind", list(BAD_FIELDS))
def test_header_fields_are_checked_by_type_and_range(kind, net, tmp_path):
    changes, match = BAD_FIELDS[kind]
    changes = changes(net) if callable(changes) else changes
    refused_naming(archive(net, tmp_path, header_of(net, **changes)), match)


def valid_text(net, metadata_json):
    text = json.dumps(header_of(net, metadata={"x": 0}))
    return text.replace('{"x": 0}', metadata_json).encode()


BAD_TEXT = {  # raw header JSON -> what the message says
    "nested-100000": (lambda net: valid_text(net, "[" * 100_000 + "]" * 100_000), "deep"),
    "nested-unclosed": (lambda net: b"[" * 100_000, "deep"),
    "nested-65": (lambda net: valid_text(net, '{"a": ' * 64 + "0" + "}" * 64), "deep"),
    "int-5000-digits": (lambda net: valid_text(net, "1" * 5000), "not valid JSON"),
    "nan": (lambda net: valid_text(net, '{"a": NaN}'), "not valid JSON"),
    "infinity": (lambda net: valid_text(net, '{"a": -Infinity}'), "not valid JSON"),
    "1e400": (lambda net: valid_text(net, '{"a": 1e400}'), "not valid JSON"),
    "many-objects": (lambda net: valid_text(net, "[" + "{}," * 1_000_000 + "{}]"),
                     "arrays and objects"),
    "duplicate-key": (lambda net: json.dumps(header_of(net)).replace(
        '"format": ', '"format": "x", "format": ', 1).encode(), "twice"),
    "not-utf8": (lambda net: valid_text(net, '"\xff"').replace(b"\xc3\xbf", b"\xff"),
                 "not valid JSON"),
}


@pytest.mark.parametrize("kind", list(BAD_TEXT))
def test_header_text_is_refused_naming_the_path(kind, net, tmp_path):
    make, match = BAD_TEXT[kind]
    refused_naming(raw_header(net, tmp_path, make(net)), match)


def test_a_deep_header_cannot_crash_the_process(net, tmp_path):
    """With a raised recursion limit (as Hypothesis and many applications set), the old
    code's json.loads overflowed the C stack on 100,000 levels: a segfault. A child
    process, so that a crash fails this test only."""
    path = raw_header(net, tmp_path, valid_text(net, "[" * 100_000 + "]" * 100_000))
    code = ("import sys; sys.setrecursionlimit(1_000_000); import tensorgen as tg\n"
            f"try:\n    tg.Network.load({str(path)!r})\n"
            "except ValueError as exc:\n    print('ValueError', exc)\n")
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           timeout=120)
    assert child.returncode == 0, f"the child died ({child.returncode}): {child.stderr}"
    assert child.stdout.startswith(f"ValueError {path}") and "deep" in child.stdout


def test_brackets_inside_strings_do_not_count_as_nesting(net, tmp_path):
    metadata = {"a": "[" * 1000, "b": '\\"' + "{" * 1000, "c": "\\" * 7 + '"[['}
    net.save(tmp_path / "model.npz", metadata=metadata)
    assert tg.Network.load(tmp_path / "model.npz").metadata == metadata


@pytest.mark.parametrize("member", ["header.npy", "params.npy"])
@pytest.mark.parametrize("length", [-1, -(2**70)], ids=["minus-one", "minus-2**70"])
def test_negative_npy_shapes_are_refused(net, tmp_path, member, length):
    members = {"header.npy": npy(np.frombuffer(json.dumps(header_of(net)).encode(), np.uint8)),
               "params.npy": npy(net.params)}
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {
        "descr": "|u1" if member == "header.npy" else "<f8", "fortran_order": False,
        "shape": (length,)})
    members[member] = buf.getvalue() + bytes(64)
    refused_naming(write_zip(tmp_path / "negative.npz", members), "shape")


def test_a_member_name_that_is_not_utf8_is_refused(net, tmp_path):
    path = tmp_path / "model.npz"
    net.save(path)
    data = bytearray(path.read_bytes())
    entry = data.index(b"PK\x01\x02")
    data[entry + 9] |= 0x08  # flag bit 11: the name is UTF-8
    data[entry + 46] = 0xFF  # ... and its first byte is not
    path.write_bytes(bytes(data))
    refused_naming(path, "corrupt")


def test_a_file_without_dtype_loads_as_float64(net, tmp_path):
    """Files written before networks had a dtype."""
    header = header_of(net, network=network_with(net, dtype=DROP))
    loaded = tg.Network.load(archive(net, tmp_path, header))
    assert loaded.dtype == np.float64
    np.testing.assert_array_equal(loaded.params, net.params)


def test_a_network_too_large_for_memory_is_refused(net, tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    net.save(path)

    def small_machine(nbytes, name, what):
        raise MemoryError(f"{name}: {what} needs {nbytes} bytes, more than the machine's "
                          "1000 bytes of memory")

    monkeypatch.setattr(_arrays, "check_memory", small_machine)
    refused_naming(path, "memory")


# ---- save refuses what load would refuse, before writing anything ----


def deep_list(depth):
    value = 0
    for _ in range(depth):
        value = [value]
    return value


SAVE_REFUSES = {  # metadata -> what the message says (after "metadata: ")
    "list": ([1, 2], "expected a dict"),
    "string": ("features", "expected a dict"),
    "nan": ({"mean": [0.0, float("nan")]}, "not JSON"),
    "infinity": ({"scale": float("inf")}, "not JSON"),
    "object": ({"f": object()}, "not JSON"),
    "int-and-str-key": ({1: "a", "1": "b"}, "twice"),
    "nested-64": ({"x": deep_list(64)}, "deep"),  # with the header's own level: 65
    "many-lists": (lambda: {"x": [[]] * persistence.MAX_CONTAINERS}, "arrays and objects"),
    "nested-100000": ({"x": deep_list(100_000)}, "deep"),
    "too-large": (lambda: {"blob": "x" * persistence.MAX_HEADER_BYTES}, "bytes"),
    "cycle": (lambda: (lambda d: d.update(self=d) or d)({}), "deep"),
}


@pytest.mark.parametrize("kind", list(SAVE_REFUSES))
def test_save_refuses_what_load_would_refuse_and_writes_nothing(kind, net, tmp_path):
    metadata, match = SAVE_REFUSES[kind]
    with pytest.raises(ValueError, match=f"^metadata: .*{match}"):
        net.save(tmp_path / "model.npz", metadata=metadata() if callable(metadata) else metadata)
    assert list(tmp_path.iterdir()) == [], "save wrote something"


def test_save_refuses_non_finite_params_and_writes_nothing(net, tmp_path):
    net.ws[0][0, 0] = np.nan  # through a view: not checked until used
    with pytest.raises(ValueError, match="^params: .*NaN"):
        net.save(tmp_path / "model.npz")
    assert list(tmp_path.iterdir()) == []


def test_save_refuses_more_layers_than_a_file_holds(tmp_path):
    net = tg.Network([1] * (persistence.MAX_LAYERS + 1), activation="identity", seed=0)
    with pytest.raises(ValueError, match="^layers: .*widths"):
        net.save(tmp_path / "model.npz")
    assert list(tmp_path.iterdir()) == []


def test_a_100000_column_model_round_trips(tmp_path, report_line):
    """What `tensorgen train --csv` stores for 100,000 feature columns (names, classes,
    scaler statistics): the old code saved it and refused to load it (1 MiB header)."""
    n = 100_000
    rng = np.random.default_rng(0)
    metadata = {"features": [f"ENSG{j:011d}_expression" for j in range(n)],
                "classes": ["healthy", "ill"], "target": "label",
                "scaler_mean": (rng.normal(size=n) * 1e3).tolist(),
                "scaler_scale": rng.lognormal(size=n).tolist()}
    net = tg.Network([n, 2], activation="identity", loss="cross_entropy", seed=0)
    path = tmp_path / "wide.npz"
    net.save(path, metadata=metadata)
    loaded = tg.Network.load(path)
    assert loaded.metadata == metadata
    np.testing.assert_array_equal(loaded.params, net.params)
    with zipfile.ZipFile(path) as z:
        header = z.getinfo("header.npy").file_size
    report_line(f"persistence: header of a 100,000-column model {header} bytes "
                f"(limit {persistence.MAX_HEADER_BYTES})")


def test_members_that_would_not_fit_in_memory_are_refused(tmp_path, monkeypatch):
    """8 MB of zero parameters deflate to a few KiB: the decompressed size, from the zip
    directory, is checked against the machine's memory before anything is read."""
    net = tg.Network([999, 1000, 1], activation="relu", seed=0)
    net.params = np.zeros(net.n_params)
    path = write_zip(tmp_path / "zeros.npz", {
        "header.npy": npy(np.frombuffer(json.dumps(header_of(net)).encode(), np.uint8)),
        "params.npy": npy(net.params)}, compression=zipfile.ZIP_DEFLATED)
    assert path.stat().st_size < 1 << 20 < 8 * net.n_params
    monkeypatch.setattr(_arrays, "physical_memory", lambda: 1 << 20)
    refused_naming(path, "bytes of memory")


@pytest.mark.parametrize("saved_dtype, member_dtype, loads", [
    ("float32", np.float32, True), ("float32", np.float64, False),
    ("float64", np.float32, False), (None, np.float32, False), (None, np.float64, True)],
    ids=["f32-f32", "f32-f64", "f64-f32", "absent-f32", "absent-f64"])
def test_the_params_member_has_the_saved_dtype(net, tmp_path, monkeypatch, saved_dtype,
                                               member_dtype, loads):
    """For when networks gain float32: the header's dtype is kept, and the parameters must
    have it (no dtype: a file older than dtypes, float64)."""
    monkeypatch.setattr(persistence, "DTYPES", ("float64", "float32"))
    network = network_with(net, dtype=DROP if saved_dtype is None else saved_dtype)
    path = archive(net, tmp_path, header_of(net, network=network),
                   params=net.params.astype(member_dtype))
    if not loads:
        refused_naming(path, "params.npy' is float")
        return
    config, params, _ = persistence.read(path)
    assert config["dtype"] == (saved_dtype or "float64") and params.dtype == member_dtype


@pytest.mark.skipif(not os.path.exists("/proc/self/mem"), reason="no /proc/self/mem here")
def test_a_file_that_fails_to_read_is_refused():
    """A regular file whose read fails (EIO; a failing disk does the same): the old code
    raised OSError."""
    refused_naming("/proc/self/mem", "cannot be read")


def test_running_out_of_memory_while_reading_is_a_value_error(net, tmp_path, monkeypatch):
    """Sizes are checked against physical memory; free memory can still run out."""
    path = tmp_path / "model.npz"
    net.save(path)

    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(np.lib.format, "read_array", exhausted)
    refused_naming(path, "memory")


@pytest.mark.parametrize("member", ["header.npy", "params.npy"])
@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("header", [
    "{'descr': '<f8', 'fortran_order': False, 'shape': (26,, }",
    "{'descr': '<f8', 'fortran_order': False, '''shape': (26,), }"],
    ids=["unclosed-paren", "unclosed-triple-quote"])
def test_npy_headers_numpy_cannot_tokenize_are_refused(net, tmp_path, member, version,
                                                      header):
    """numpy's .npy header parser lets tokenize.TokenError through (found by fuzzing
    the .npy headers: about one mutation in eight)."""
    text = (header + "\n").encode("latin1")
    size = struct.pack("<H" if version == 1 else "<I", len(text))
    members = {"header.npy": npy(np.frombuffer(json.dumps(header_of(net)).encode(), np.uint8)),
               "params.npy": npy(net.params)}
    members[member] = b"\x93NUMPY" + bytes([version, 0]) + size + text + bytes(64)
    refused_naming(write_zip(tmp_path / "npy.npz", members), "not a valid .npy array")


def test_running_out_of_memory_reading_the_file_is_a_value_error(net, tmp_path,
                                                                 monkeypatch):
    """Its size is checked against physical memory; free memory can still run out."""
    path = tmp_path / "model.npz"
    net.save(path)

    class Exhausted(io.BufferedReader):
        def read(self, *args):
            raise MemoryError

    real_fdopen = os.fdopen

    def fdopen(fd, mode="r", *args, **kwargs):
        if mode != "rb":
            return real_fdopen(fd, mode, *args, **kwargs)
        return Exhausted(real_fdopen(fd, mode, buffering=0))

    monkeypatch.setattr(os, "fdopen", fdopen)
    refused_naming(path, "memory")
