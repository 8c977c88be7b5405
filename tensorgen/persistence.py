"""Saving and loading networks: an ``.npz`` archive with a JSON header, read defensively.

The archive holds two members: ``header.npy`` (the UTF-8 JSON header as uint8) and
``params.npy`` (the flat float64 parameter vector). Loading never unpickles
(``allow_pickle=False``) and checks, before reading anything large, that the file is a zip
archive holding exactly those members, that their sizes (from the zip directory) are what
the header's architecture needs and below a cap, and that the header is ours and of a
version we read. Every refusal is a ValueError saying what is wrong.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import tempfile
import zipfile
import zlib
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from ._version import __version__

FORMAT = "tensorgen-network"
FORMAT_VERSION = 1
MEMBERS = ("header.npy", "params.npy")
NETWORK_KEYS = {"layers", "activation", "output_activation", "loss", "init", "seed", "dtype"}
# Largest parameter count a header may ask for (checked before anything is allocated).
MAX_PARAMS = 2**31 - 1
MAX_HEADER_BYTES = 1 << 20
# Largest uncompressed archive load() reads unless told otherwise.
DEFAULT_MAX_BYTES = 1 << 32


def write(path: str | os.PathLike[str], config: dict[str, Any],
          params: NDArray[np.floating[Any]], metadata: dict[str, Any] | None = None) -> None:
    """Write a network to ``path`` (exactly that name), replacing it atomically.

    Parameters
    ----------
    path : str or path-like
        The file to write.
    config : dict
        The network's constructor arguments (``Network(**config)`` rebuilds it).
    params : ndarray of shape (n_params,)
        The flat parameter vector.
    metadata : dict, optional
        JSON-serialisable extras kept in the header (e.g. feature names, scaler
        statistics), returned by ``read``.

    Raises
    ------
    ValueError
        When the header (``metadata`` included) is not JSON-serialisable.
    """
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "library_version": __version__,
        "network": config,
        "n_params": int(np.size(params)),
        "metadata": {} if metadata is None else metadata,
    }
    try:
        text = json.dumps(header, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"metadata: not JSON-serialisable ({exc})") from None
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tensorgen-", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, header=np.frombuffer(text.encode(), dtype=np.uint8),
                     params=np.ascontiguousarray(params))
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def read(path: str | os.PathLike[str], max_bytes: int = DEFAULT_MAX_BYTES,
         ) -> tuple[dict[str, Any], NDArray[np.float64], dict[str, Any]]:
    """Read a network written by ``write``.

    Parameters
    ----------
    path : str or path-like
        The file to read.
    max_bytes : int
        Refuse files, and archives whose members would decompress, to more than this.

    Returns
    -------
    config : dict
        The network's constructor arguments.
    params : ndarray of shape (n_params,)
        The flat parameter vector, float64.
    metadata : dict
        The extras stored by ``write``.

    Raises
    ------
    ValueError
        Not a zip archive, truncated or corrupt, unexpected or path-like members, members
        larger than the architecture needs or than ``max_bytes`` (zip bombs), a header that
        is not ours or of another format version, absurd shapes, pickled objects,
        mismatched shapes, non-finite parameters.
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        data = f.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValueError(f"{path}: larger than max_bytes={max_bytes}")
    try:
        with _open_archive(path, data) as archive:
            _check_members(path, archive, max_bytes)
            raw = _read_member(path, archive, "header.npy", np.uint8, MAX_HEADER_BYTES)
            header = _parse_header(path, raw)
            n_params = _n_params(path, header)
            params = _read_member(path, archive, "params.npy", np.float64, n_params,
                                  exact=True)
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, OSError, EOFError) as exc:
        # NotImplementedError: zipfile's word for a member it cannot read (flipped version
        # or method fields)
        raise ValueError(f"{path}: corrupt archive ({exc})") from None
    if not np.isfinite(params).all():
        raise ValueError(f"{path}: params contains NaN or infinity")
    return header["network"], params, header.get("metadata", {})


def _open_archive(path: str, data: bytes) -> zipfile.ZipFile:
    if data[:4] != b"PK\x03\x04":
        raise ValueError(f"{path}: not a TensorGen model file (not a zip/.npz archive)")
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ValueError(f"{path}: truncated or corrupt zip archive ({exc})") from None


def _check_members(path: str, archive: zipfile.ZipFile, max_bytes: int) -> None:
    """Names and uncompressed sizes, from the zip directory, before anything is read."""
    seen = set()
    total = 0
    for info in archive.infolist():
        name = info.filename
        if "/" in name or "\\" in name or name.startswith(".") or ":" in name:
            raise ValueError(f"{path}: member name {name!r} is a path; refused")
        if name not in MEMBERS:
            raise ValueError(f"{path}: unknown member {name!r} (expected {list(MEMBERS)})")
        if name in seen:
            raise ValueError(f"{path}: member {name!r} appears twice")
        seen.add(name)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ValueError(f"{path}: member {name!r} uses compression method "
                             f"{info.compress_type}, not stored or deflated; refused")
        if info.flag_bits & 0x1:
            raise ValueError(f"{path}: member {name!r} is encrypted; refused")
        total += info.file_size
    missing = [m for m in MEMBERS if m not in seen]
    if missing:
        raise ValueError(f"{path}: not a TensorGen model file (missing members {missing})")
    if total > max_bytes:
        raise ValueError(f"{path}: members would decompress to {total} bytes, more than "
                         f"max_bytes={max_bytes} (a zip bomb?); refused")


def _read_member(path: str, archive: zipfile.ZipFile, name: str, dtype: DTypeLike,
                 length: int, exact: bool = False) -> NDArray[Any]:
    """A 1-D array member, its .npy header checked before its data is allocated.

    Without ``exact``, ``length`` is the largest number of elements accepted.
    """
    declared = archive.getinfo(name).file_size
    with archive.open(name) as f:
        try:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, _, found = np.lib.format.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, _, found = np.lib.format.read_array_header_2_0(f)
            else:
                raise ValueError(f"unsupported .npy version {version}")
        except ValueError as exc:
            raise ValueError(f"{path}: member {name!r} is not a valid .npy array "
                             f"({exc})") from None
    if found.hasobject:
        raise ValueError(f"{path}: member {name!r} holds pickled Python objects; refused")
    if found != np.dtype(dtype) or len(shape) != 1:
        raise ValueError(f"{path}: member {name!r} is {found} of shape {shape}, expected "
                         f"1-D {np.dtype(dtype)}")
    wanted = f"({length},)" if exact else f"at most {length} elements"
    if shape[0] > length or (exact and shape[0] != length):
        raise ValueError(f"{path}: member {name!r} has shape {shape}, expected {wanted} "
                         "(mismatched shapes)")
    if shape[0] * found.itemsize > declared:
        raise ValueError(f"{path}: member {name!r} claims shape {shape}, more than its "
                         f"{declared} bytes hold (truncated or forged)")
    with archive.open(name) as f:
        return np.lib.format.read_array(f, allow_pickle=False)


def _parse_header(path: str, raw: NDArray[np.uint8]) -> dict[str, Any]:
    try:
        header = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: header is not valid JSON ({exc})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ValueError(f"{path}: not a TensorGen model file (header format is not "
                         f"{FORMAT!r})")
    version = header.get("format_version")
    if version != FORMAT_VERSION:
        raise ValueError(f"{path}: format version {version!r} is not supported (this "
                         f"TensorGen {__version__} reads version {FORMAT_VERSION})")
    for key, default in (("network", None), ("metadata", {})):
        if type(header.get(key, default)) is not dict:
            raise ValueError(f"{path}: header {key!r} is missing or not an object")
    unknown = set(header["network"]) - NETWORK_KEYS
    if unknown:
        raise ValueError(f"{path}: header 'network' has unknown keys {sorted(unknown)}")
    return header


def _n_params(path: str, header: dict[str, Any]) -> int:
    """Parameters the header's layers need, refused when absurd (checked before any
    allocation)."""
    layers = header["network"].get("layers")
    if not (isinstance(layers, list) and len(layers) >= 2
            and all(isinstance(w, int) and not isinstance(w, bool) and w >= 1
                    for w in layers)):
        raise ValueError(f"{path}: header 'layers' must be a list of >= 2 positive ints, "
                         f"got {layers!r}")
    n_params: int = sum((a + 1) * b for a, b in itertools.pairwise(layers))
    if n_params > MAX_PARAMS:
        raise ValueError(f"{path}: header layers {layers} ask for {n_params} parameters "
                         f"({8 * n_params} bytes), more than the {MAX_PARAMS} supported")
    if n_params != header.get("n_params"):
        raise ValueError(f"{path}: header says {header.get('n_params')!r} parameters, its "
                         f"layers {layers} need {n_params} (mismatched shapes)")
    return n_params
