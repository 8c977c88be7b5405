"""Saving and loading networks: an ``.npz`` archive with a JSON header, read defensively.

The archive holds two members: ``header.npy`` (the UTF-8 JSON header as uint8) and
``params.npy`` (the flat parameter vector, of the dtype the header's network names).
Loading never unpickles (``allow_pickle=False``). It opens only a regular file, without
blocking, and checks its size before reading it; then, before reading anything large, that
it is a zip archive holding exactly those members, that their sizes (from the zip
directory) are what the header's architecture needs and below a cap, and that the header
is ours, of a version we read, and that every field has the type and range ``write``
gives it. Every refusal is a ValueError naming the file and saying what is wrong.
``write`` runs the same header checks on what it is about to write, before writing
anything, so it never writes a file ``read`` refuses.

The header limit, ``MAX_HEADER_BYTES`` (16 MiB), is set by what real models store there:
``tensorgen train`` on a 100,000-column CSV keeps each column's name, mean and scale, a
header measured at 5,114,760 bytes with the names x0 ... x99999 and 7,125,870 bytes with
26-character names (about 41 bytes per column plus its name). 16 MiB holds 100,000
columns named with up to about 120 characters. Keeping the numbers in JSON (not in extra
binary members) keeps one format version and one thing to check; a float's repr reads
back exactly. The limit also bounds what a hostile header costs: 16 MiB of JSON (from a
17 KB deflated file) parsed into Python objects took up to 2.8 s (floats) and 272 MiB
(short strings) here, on two busy cores; millions of empty arrays or objects, the
costliest per byte, are refused before parsing (``MAX_CONTAINERS``).
"""

from __future__ import annotations

import io
import json
import numbers
import os
import reprlib
import stat
import tempfile
import zipfile
import zlib
from typing import Any, NoReturn

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from ._kernels import _arrays
from ._version import __version__
from .architecture import MAX_WIDTH, Architecture
from .functions import DTYPES

FORMAT = "tensorgen-network"
FORMAT_VERSION = 1
MEMBERS = ("header.npy", "params.npy")
HEADER_KEYS = {"format", "format_version", "library_version", "network", "n_params",
               "metadata"}
NETWORK_KEYS = {"layers", "activation", "output_activation", "loss", "init", "seed", "dtype"}
# Largest parameter count a header may ask for (checked before anything is allocated).
MAX_PARAMS = 2**31 - 1
# Most layers a header may list: the constructor spends ~30 us per layer, so a header of
# millions of widths (a few KiB deflated) would keep load busy for minutes.
MAX_LAYERS = 10_000
# Largest header JSON: the module docstring says why 16 MiB.
MAX_HEADER_BYTES = 16 << 20
# Deepest nesting of arrays and objects in a header (ours: 3, plus the metadata's own).
MAX_DEPTH = 64
# Most arrays and objects in a header (ours: 3, plus the metadata's; the training CLI's 4):
# each costs the parser a Python object, a deflated file packs millions in a few KiB.
MAX_CONTAINERS = 1_000_000
# Largest zip directory (central directory) read: ours is 112 bytes.
MAX_DIRECTORY_BYTES = 1 << 16
# Largest uncompressed archive load() reads unless told otherwise.
DEFAULT_MAX_BYTES = 1 << 32


def write(path: str | os.PathLike[str], config: dict[str, Any], params: ArrayLike,
          metadata: dict[str, Any] | None = None) -> None:
    """Write a network to ``path`` (exactly that name), replacing it atomically.

    Everything ``read`` checks is checked first, on the header about to be written, so a
    file ``read`` would refuse is never written.

    Parameters
    ----------
    path : str or path-like
        The file to write.
    config : dict
        The network's constructor arguments (``Network(**config)`` rebuilds it).
    params : ndarray of shape (n_params,)
        Finite, of the config's dtype.
    metadata : dict, optional
        JSON-serialisable extras kept in the header (e.g. feature names, scaler
        statistics), returned by ``read``.

    Raises
    ------
    ValueError
        Before anything is written. Naming ``metadata``: not a dict, not
        JSON-serialisable (NaN, infinity, other objects), nested more than
        ``MAX_DEPTH - 1`` deep, keys that repeat once made strings (``{1: a, "1": b}``),
        a header holding more than ``MAX_CONTAINERS`` arrays and objects or larger than
        ``MAX_HEADER_BYTES``. Naming ``layers`` (or the field): more than ``MAX_LAYERS``
        layers. Naming ``params``: NaN or infinity, a shape or dtype the config does not
        give.
    """
    metadata = {} if metadata is None else metadata
    if not isinstance(metadata, dict):
        raise ValueError(f"metadata: expected a dict (a JSON object), got "
                         f"{type(metadata).__name__}")
    n_params = _check_network(config)
    params = np.ascontiguousarray(params)
    dtype = np.dtype(config.get("dtype", "float64"))
    if params.shape != (n_params,) or params.dtype != dtype:
        raise ValueError(f"params: expected shape ({n_params},) and dtype {dtype}, got "
                         f"{params.shape} and {params.dtype}")
    if not np.isfinite(params).all():
        raise ValueError("params: contains NaN or infinity")
    # json.dumps recurses in C: too deep a value overflows the C stack when the
    # recursion limit has been raised, so the depth is measured first, without recursion.
    if _depth(metadata, MAX_DEPTH) == MAX_DEPTH:
        raise ValueError(f"metadata: nested more than {MAX_DEPTH - 1} deep (a header, one "
                         f"level more, may nest {MAX_DEPTH} deep)")
    header = {"format": FORMAT, "format_version": FORMAT_VERSION,
              "library_version": __version__, "network": config, "n_params": n_params,
              "metadata": metadata}
    try:
        text = json.dumps(header, allow_nan=False).encode()
    except (TypeError, ValueError) as exc:
        raise ValueError(f"metadata: not JSON-serialisable ({exc})") from None
    try:
        _decode_header(text)
    except ValueError as exc:  # the network was checked above: the metadata is the cause
        raise ValueError(f"metadata: {exc}; load would refuse the file") from None
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tensorgen-", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, header=np.frombuffer(text, dtype=np.uint8), params=params)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def read(path: str | os.PathLike[str], max_bytes: int | None = None,
         ) -> tuple[dict[str, Any], NDArray[Any], dict[str, Any]]:
    """Read a network written by ``write``.

    Parameters
    ----------
    path : str or path-like
        A regular file: FIFOs, devices, sockets and directories are refused without
        reading from them (nor blocking on them).
    max_bytes : int or None
        Refuse files larger than this (checked before reading them), and archives whose
        members would decompress to more. None: ``DEFAULT_MAX_BYTES``.

    Returns
    -------
    config : dict
        The network's constructor arguments, ``dtype`` included (``"float64"`` for files
        written before networks had one).
    params : ndarray of shape (n_params,), of that dtype
        The flat parameter vector.
    metadata : dict
        The extras stored by ``write``.

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist (as ``numpy.load``).
    TypeError
        ``path`` is not a path, or ``max_bytes`` not an int.
    ValueError
        Naming the path (the README's Guarantees list every case): not a regular file
        (FIFO, device, socket, directory), cannot be opened or read, larger than
        ``max_bytes`` or than the machine's memory; not a zip archive, truncated or
        corrupt, a zip directory over ``MAX_DIRECTORY_BYTES``, unexpected or path-like
        members, members larger than the architecture needs or than ``max_bytes`` (zip
        bombs), encrypted, or not valid .npy arrays; a header that is not ours, of another
        format version, too large, too deep or holding too many arrays and objects
        (``MAX_HEADER_BYTES``, ``MAX_DEPTH``, ``MAX_CONTAINERS``), not strict JSON, with
        a field of the wrong type or out of range; absurd or mismatched shapes, pickled
        objects, a dtype other than the header's, non-finite parameters; not enough free
        memory.
    """
    max_bytes = _check_max_bytes(max_bytes)
    path = _check_path(path)
    data = _read_file(path, max_bytes)
    try:
        with _open_archive(data) as archive:
            _check_members(archive, max_bytes)
            raw = _read_member(archive, "header.npy", np.uint8, MAX_HEADER_BYTES)
            header = _decode_header(raw.tobytes())
            config = {"dtype": "float64", **header["network"]}
            params = _read_member(archive, "params.npy", config["dtype"], header["n_params"],
                                  exact=True)
        if not np.isfinite(params).all():
            raise ValueError("params contains NaN or infinity")
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, OSError, EOFError) as exc:
        # NotImplementedError: zipfile's word for a member it cannot read (flipped version
        # or method fields)
        raise ValueError(f"{path}: corrupt archive ({exc})") from None
    except ValueError as exc:  # the checks below name no file: this names it, once
        raise ValueError(f"{path}: {exc}") from None
    except MemoryError:  # sizes were checked against physical memory, not free memory
        raise ValueError(f"{path}: not enough free memory to read it") from None
    return config, params, header["metadata"]


# ---- the file ----


def _check_max_bytes(max_bytes: object) -> int:
    if max_bytes is None:
        return DEFAULT_MAX_BYTES
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, numbers.Integral):
        raise TypeError(f"max_bytes: expected an int or None, got {max_bytes!r}")
    if int(max_bytes) < 0:
        raise ValueError(f"max_bytes: expected a non-negative int, got {max_bytes!r}")
    return int(max_bytes)


def _check_path(path: str | os.PathLike[str]) -> str:
    try:
        return os.fspath(path)
    except TypeError:
        raise TypeError(f"path: expected a str or path-like object, got {path!r}") from None


def _read_file(path: str, max_bytes: int) -> bytes:
    """The bytes of the regular file at ``path``.

    The file is opened without blocking (O_NONBLOCK: a FIFO without a writer would wait
    for one) and its kind and size are read from the opened descriptor, so nothing can
    swap the file between the check and the read. Only a regular file of at most
    ``max_bytes`` is read (a device such as /dev/zero is endless). A missing file stays
    FileNotFoundError; every other refusal is a ValueError naming the path.
    """
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0)
    for name in ("O_NONBLOCK", "O_NOCTTY", "O_CLOEXEC"):  # POSIX only
        flags |= getattr(os, name, 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise ValueError(f"{path}: cannot be opened ({reason})") from None
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            raise ValueError(f"{path}: not a regular file ({_kind(status.st_mode)}); "
                             "refused without reading it")
        if status.st_size > max_bytes:
            raise ValueError(f"{path}: {status.st_size} bytes, more than "
                             f"max_bytes={max_bytes}; refused without reading it")
        memory = _arrays.physical_memory()
        if memory is not None and status.st_size > memory:
            raise ValueError(f"{path}: {status.st_size} bytes, more than this machine's "
                             f"{memory} bytes of memory; refused without reading it")
    except BaseException:
        os.close(fd)
        raise
    # O_NONBLOCK stays set: it changes nothing for a regular file, the only kind read.
    with os.fdopen(fd, "rb") as f:
        try:
            data = f.read(status.st_size + 1)
        except OSError as exc:  # e.g. EIO: a failing disk, /proc/self/mem
            raise ValueError(f"{path}: cannot be read ({exc.strerror or exc})") from None
        except MemoryError:  # its size was checked against physical, not free, memory
            raise ValueError(f"{path}: not enough free memory to read it") from None
    if len(data) != status.st_size:
        raise ValueError(f"{path}: its size changed while it was read ({status.st_size} "
                         f"bytes, then {len(data)} or more)")
    return data


def _kind(mode: int) -> str:
    kinds = [("directory", stat.S_ISDIR), ("FIFO", stat.S_ISFIFO),
             ("character device", stat.S_ISCHR), ("block device", stat.S_ISBLK),
             ("socket", stat.S_ISSOCK)]
    return next((name for name, test in kinds if test(mode)), f"mode {mode:o}")


# ---- the archive (the checks below raise without the path; read adds it) ----


def _open_archive(data: bytes) -> zipfile.ZipFile:
    if data[:4] != b"PK\x03\x04":
        raise ValueError("not a TensorGen model file (not a zip/.npz archive)")
    size = _directory_size(data)
    if size > MAX_DIRECTORY_BYTES:
        raise ValueError(f"zip directory of {size} bytes, more than the "
                         f"{MAX_DIRECTORY_BYTES} two members need; refused before parsing it")
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        # ValueError: a member name flagged UTF-8 that is not (UnicodeDecodeError)
        raise ValueError(f"truncated or corrupt zip archive ({exc})") from None


def _directory_size(data: bytes) -> int:
    """Size of the zip directory, read from the end record as zipfile reads it.

    zipfile builds an object for every entry of the directory before anything can look
    at them (a million empty entries, 88 MB: 20 s and 600 MB). ``np.savez`` writes no
    archive comment, so the end record is the last 22 bytes, the one zipfile picks first;
    a zip64 locator just before it points to the zip64 end record, whose size zipfile
    then uses (written for archives past 4 GiB).
    """
    end = len(data) - 22
    if end < 0 or data[end:end + 4] != b"PK\x05\x06" or data[-2:] != b"\0\0":
        raise ValueError("truncated or corrupt zip archive (no end record at its end, or an "
                         "archive comment)")
    size = int.from_bytes(data[end + 12:end + 16], "little")
    locator = end - 20
    if locator >= 0 and data[locator:locator + 4] == b"PK\x06\x07":
        record = locator - 56
        if (record < 0 or data[record:record + 4] != b"PK\x06\x06"
                or int.from_bytes(data[locator + 8:locator + 16], "little") != record):
            raise ValueError("truncated or corrupt zip archive (zip64 end record not where "
                             "its locator says)")
        size = int.from_bytes(data[record + 40:record + 48], "little")
    return size


def _check_members(archive: zipfile.ZipFile, max_bytes: int) -> None:
    """Names and uncompressed sizes, from the zip directory, before anything is read."""
    seen: set[str] = set()
    total = 0
    for info in archive.infolist():
        name = info.filename
        if "/" in name or "\\" in name or name.startswith(".") or ":" in name:
            raise ValueError(f"member name {_show(name)} is a path; refused")
        if name not in MEMBERS:
            raise ValueError(f"unknown member {_show(name)} (expected {list(MEMBERS)})")
        if name in seen:
            raise ValueError(f"member {name!r} appears twice")
        seen.add(name)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ValueError(f"member {name!r} uses compression method "
                             f"{info.compress_type}, not stored or deflated; refused")
        if info.flag_bits & 0x1:
            raise ValueError(f"member {name!r} is encrypted; refused")
        total += info.file_size
    missing = [m for m in MEMBERS if m not in seen]
    if missing:
        raise ValueError(f"not a TensorGen model file (missing members {missing})")
    if total > max_bytes:
        raise ValueError(f"members would decompress to {total} bytes, more than "
                         f"max_bytes={max_bytes} (a zip bomb?); refused")
    memory = _arrays.physical_memory()
    if memory is not None and total > memory:
        raise ValueError(f"members would decompress to {total} bytes, more than this "
                         f"machine's {memory} bytes of memory; refused")


def _read_member(archive: zipfile.ZipFile, name: str, dtype: DTypeLike, length: int,
                 exact: bool = False) -> NDArray[Any]:
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
        except Exception as exc:  # numpy lets tokenize.TokenError and SyntaxError through
            raise ValueError(f"member {name!r} is not a valid .npy array "
                             f"({type(exc).__name__}: {exc})") from None
    if found.hasobject:
        raise ValueError(f"member {name!r} holds pickled Python objects; refused")
    if found != np.dtype(dtype) or len(shape) != 1:
        raise ValueError(f"member {name!r} is {found} of shape {_show(shape)}, expected "
                         f"1-D {np.dtype(dtype)}")
    if not 0 <= shape[0] <= length or (exact and shape[0] != length):
        wanted = f"({length},)" if exact else f"at most {length} elements"
        raise ValueError(f"member {name!r} has shape {_show(shape)}, expected {wanted} "
                         "(mismatched shapes)")
    if shape[0] * found.itemsize > declared:
        raise ValueError(f"member {name!r} claims shape {shape}, more than its "
                         f"{declared} bytes hold (truncated or forged)")
    with archive.open(name) as f:
        return np.lib.format.read_array(f, allow_pickle=False)


# ---- the header ----


def _decode_header(text: bytes) -> dict[str, Any]:
    """The header JSON in ``text`` (bytes), every field checked by type and range.

    Its size and nesting depth are checked before it is parsed (``json.loads`` recurses
    once per level); numbers must be finite and the keys of an object distinct.
    """
    if len(text) > MAX_HEADER_BYTES:
        raise ValueError(f"header of {len(text)} bytes, more than the {MAX_HEADER_BYTES} "
                         "a file may hold")
    depth, count = _structure(text)
    if depth > MAX_DEPTH:
        raise ValueError(f"header nests arrays and objects {depth} deep, more than the "
                         f"{MAX_DEPTH} a file may hold")
    if count > MAX_CONTAINERS:
        raise ValueError(f"header holds {count} arrays and objects, more than the "
                         f"{MAX_CONTAINERS} a file may hold")
    try:
        header = json.loads(text.decode("utf-8"), object_pairs_hook=_distinct_keys,
                            parse_constant=_not_json)
    except ValueError as exc:  # also: not UTF-8, an integer of over 4300 digits
        raise ValueError(f"header is not valid JSON ({exc})") from None
    try:  # json.loads reads 1e400 as infinity, which JSON lacks and write never writes
        json.dumps(header, allow_nan=False, check_circular=False)
    except ValueError:
        raise ValueError("header is not valid JSON (a number out of range, such as "
                         "1e400)") from None
    if type(header) is not dict or header.get("format") != FORMAT:
        raise ValueError(f"not a TensorGen model file (header format is not {FORMAT!r})")
    version = header.get("format_version")
    if type(version) is not int or version != FORMAT_VERSION:
        raise ValueError(f"format version {_show(version)} is not supported (this "
                         f"TensorGen {__version__} reads version {FORMAT_VERSION})")
    if set(header) != HEADER_KEYS:
        raise ValueError(f"header has keys {_show(sorted(header))}, expected "
                         f"{sorted(HEADER_KEYS)}")
    for key, kind, what in (("library_version", str, "a string"),
                            ("network", dict, "an object"), ("metadata", dict, "an object")):
        if type(header[key]) is not kind:
            raise ValueError(f"header {key!r} is {_show(header[key])}, expected {what}")
    try:
        n_params = _check_network(header["network"])
    except ValueError as exc:
        raise ValueError(f"header 'network': {exc}") from None
    if type(header["n_params"]) is not int or header["n_params"] != n_params:
        raise ValueError(f"header 'n_params' is {_show(header['n_params'])}, its layers "
                         f"need {n_params} (mismatched shapes)")
    return header


def _check_network(network: dict[str, Any]) -> int:
    """Number of parameters of a saved network, its fields checked by type and range.

    What the values mean (activation names, which go together) is the constructor's to
    check; this makes sure it receives strings, ints and None of a sane size. ``dtype``
    may be missing: files written before networks had one hold float64.

    Raises
    ------
    ValueError
        Naming the field.
    """
    missing = sorted(NETWORK_KEYS - {"dtype"} - set(network))
    if missing:
        raise ValueError(f"missing keys {missing}")
    unknown = sorted(set(network) - NETWORK_KEYS)
    if unknown:
        raise ValueError(f"unknown keys {_show(unknown)}")
    for key in ("activation", "output_activation", "loss", "init"):
        if type(network[key]) is not str:
            raise ValueError(f"{key}: expected a string, got {_show(network[key])}")
    seed = network["seed"]
    if seed is not None and (type(seed) is not int or seed < 0):
        raise ValueError(f"seed: expected None or an int >= 0, got {_show(seed)}")
    dtype = network.get("dtype", "float64")
    if type(dtype) is not str or dtype not in DTYPES:
        raise ValueError(f"dtype: expected one of {list(DTYPES)}, got {_show(dtype)}")
    layers = network["layers"]
    if type(layers) is not list or not 2 <= len(layers) <= MAX_LAYERS:
        count = f" ({len(layers)} widths)" if type(layers) is list else ""
        raise ValueError(f"layers: expected a list of 2 to {MAX_LAYERS} widths, got "
                         f"{_show(layers)}{count}")
    if not all(type(w) is int and 1 <= w <= MAX_WIDTH for w in layers):
        raise ValueError(f"layers: expected widths in [1, {MAX_WIDTH}], got {_show(layers)}")
    # the count from the one description of the layout (identity/mse: any valid pair)
    n_params = Architecture(tuple(layers), ("identity",) * (len(layers) - 1), "mse").n_params
    if n_params > MAX_PARAMS:
        raise ValueError(f"layers: {_show(layers)} ask for {n_params} parameters "
                         f"({8 * n_params} bytes), more than the {MAX_PARAMS} supported")
    return n_params


def _structure(text: bytes) -> tuple[int, int]:
    """How deep arrays and objects nest in the JSON ``text`` (bytes), and how many there
    are: found without recursion, 1 MiB at a time.

    Brackets inside strings do not count: escaped backslashes, then escaped quotes, are
    dropped, so every quote left opens or closes a string. In malformed text the counts
    are exact up to the first error, where the parser stops: they never understate what
    ``json.loads`` would reach.
    """
    plain = np.frombuffer(text.replace(b"\\\\", b"").replace(b'\\"', b""), np.uint8)
    deepest = depth = count = 0
    in_string = False
    for start in range(0, plain.size, 1 << 20):
        chunk = plain[start:start + (1 << 20)]
        quoted = np.logical_xor.accumulate(chunk == ord('"')) ^ in_string
        in_string = bool(quoted[-1])
        code = chunk[~quoted]
        opens = (code == ord("[")) | (code == ord("{"))
        closes = (code == ord("]")) | (code == ord("}"))
        levels = depth + np.cumsum(np.where(opens, 1, -1)[opens | closes])
        if levels.size:
            deepest = max(deepest, int(levels.max()))
            depth = int(levels[-1])
        count += int(np.count_nonzero(opens))
    return deepest, count


def _depth(value: object, limit: int) -> int:
    """How deep lists, tuples and dicts nest in ``value``, counted level by level (no
    recursion) up to ``limit``.

    ``json.dumps`` recurses in C, and a deep enough value overflows the C stack once the
    recursion limit has been raised. A container met twice on a level is expanded once,
    so a cycle costs ``limit`` levels, not an exponential number of items.
    """
    level: list[Any] = [value]
    depth = 0
    while depth < limit:
        containers = {id(v): v for v in level if isinstance(v, (list, tuple, dict))}
        if not containers:
            break
        depth += 1
        level = [item for v in containers.values()
                 for item in (v.values() if isinstance(v, dict) else v)]
    return depth


def _distinct_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        # (set.add's None is the false branch: the first key seen twice)
        twice = next(k for k, _ in pairs
                     if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise ValueError(f"key {_show(twice)} appears twice in an object")
    return obj


def _not_json(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


def _show(value: object) -> str:
    """``repr`` cut short: a hostile header's values may be megabytes long."""
    return reprlib.repr(value)
