"""save/load round trips, and every kind of hostile or broken file refused clearly."""

import io
import json
import zipfile

import numpy as np
import pytest

import tensorgen as tg
from tensorgen import persistence


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
