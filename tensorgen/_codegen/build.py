"""Stage 3 of the symbolic pipeline: C text -> compiled shared library in an on-disk cache.

Layout: ``<cache>/<key>/`` holds ``lib.so``, ``meta.json`` and the sources it was built
from, where ``key`` is a SHA-256 of everything that changes the code (the architecture and
mode, the SymPy version, this pipeline's own sources, the C headers and driver, the
compiler's identity and flags, which include the host CPU when compiling for it), so it is
known before any SymPy work. File names are that hash or fixed names, never anything a user
passes.

Safety: the cache directory must belong to the user and not be writable by group or
others; any other is refused with a ValueError that says why. An entry is built in a
private temporary directory inside the cache and published with one ``os.replace``, so
readers never see a half-written library; whoever publishes first wins and the others use
that entry. A library is checked before it is published: it exists, loads and exports
``SYMBOLS``. An entry is used only if its ``meta.json`` holds the fields its reader asks
for, the library's SHA-256 matches the one recorded there and the library loads and
exports ``SYMBOLS``; any other entry is discarded and rebuilt.

Bounds: the compiler runs through ``subprocess`` with an argument list, never a shell,
under ``_supervise.py``: in its own session, so that it is killed with its whole process
group (driver, cc1, as, ld) on timeout, on KeyboardInterrupt and, on Linux, when this
process dies; with its address space capped at ``COMPILER_MEMORY`` (RLIMIT_AS). The
timeout follows from the compile time predicted from the size of the sources
(``timeout_for``), up to ``TIMEOUT_CEILING``. Builders name their temporary directories
``tmp-<pid>-*``; ``cache_dir`` removes those of dead processes and those older than the
ceiling.
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib.resources
import json
import os
import re
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import IO, Any, cast

import sympy

from ..architecture import Architecture
from . import emit, expressions, tgmath

#: A compiler command: the program and its arguments.
Command = tuple[str | os.PathLike[str], ...]
#: An entry's meta.json: JSON values, each checked against the type its reader asks for
#: (``load``'s ``fields``) before use.
Meta = dict[str, Any]

#: Optimisation and output flags: position-independent shared library, ISO C99 (so no
#: floating-point contraction: the C computes exactly the expressions), -O2.
FLAGS = ("-O2", "-std=c99", "-fPIC", "-shared")
#: Added where the compiler accepts it: the straight-line code is large, and the host's
#: instruction set (VEX encoding) makes it about half as big and twice as fast. The cache
#: key then holds the compiler's expansion of it (this CPU's model and features).
HOST_FLAGS = ("-march=native",)
#: Bump when the entry layout changes.
FORMAT = 2
LIBRARY = "lib.so"
META = "meta.json"
#: Functions a library must export (csrc/tg_driver.h) to be published or used.
SYMBOLS = ("tg_batch",)
#: Cap on the address space of each of the compiler's processes (bytes, RLIMIT_AS on POSIX).
#: The generated code comes in parts of bounded size (emit.PART_CHARS), one file each, so
#: a compiler process stays near 40 to 120 MB resident however large the network; the cap
#: stops one that runs away (measured: docs/engine-symbolic.rst).
COMPILER_MEMORY = 1 << 30
#: Compile time per character of generated C, measured on the reference machine
#: (docs/engine-symbolic.rst): split into parts, the compile time grows linearly.
SECONDS_PER_CHAR = 3e-5
#: The compile timeout is TIMEOUT_FLOOR plus TIMEOUT_FACTOR times the predicted time, at
#: most TIMEOUT_CEILING (seconds).
TIMEOUT_FACTOR, TIMEOUT_FLOOR, TIMEOUT_CEILING = 10, 60, 1800
#: Seconds for the compiler's --version and -march=native probes.
PROBE_TIMEOUT = 60

_SUPERVISOR = Path(__file__).with_name("_supervise.py")
_OUT_OF_MEMORY = re.compile(r"out of memory|memory exhausted|cannot allocate|MemoryError|"
                            r"bad_alloc", re.IGNORECASE)


class CompilerError(RuntimeError):
    """No working C compiler, or it failed on the generated code."""


# ---- where the cache lives ----

def cache_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The cache directory (created 0700 if missing), checked to be private and usable,
    after removing the temporary directories of builders that died.

    ``explicit``, else ``$TENSORGEN_CACHE_DIR``, else ``$XDG_CACHE_HOME/tensorgen``
    (``~/.cache/tensorgen`` by default).

    Raises
    ------
    ValueError
        Naming ``cache_dir`` (or ``TENSORGEN_CACHE_DIR``) and the path, when the path is an
        empty string, cannot be created, is not a directory, is not owned by the user, is
        writable by group or others, or is not writable.
    """
    if explicit is not None:
        name, path = "cache_dir", os.fsdecode(explicit)
    elif os.environ.get("TENSORGEN_CACHE_DIR"):
        name, path = "TENSORGEN_CACHE_DIR", os.environ["TENSORGEN_CACHE_DIR"]
    else:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        name, path = "cache_dir", os.path.join(base, "tensorgen")
    if not path:
        raise ValueError(f"{name}: expected a directory, got an empty string")

    def refused(why: str) -> ValueError:
        return ValueError(f"{name}: {path!r} {why}; the symbolic engine needs a private "
                          "directory for its compiled libraries")

    try:
        Path(path).mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.stat(path)
    except FileExistsError:
        raise refused("exists and is not a directory") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        raise refused(f"cannot be created ({getattr(exc, 'strerror', None) or exc})") from None
    if not stat.S_ISDIR(info.st_mode):
        raise refused("is not a directory")
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise refused("belongs to another user, so code loaded from it is not private")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise refused("is writable by group or others, so code loaded from it is not "
                      f"private (chmod 700 {shlex.quote(path)})")
    if not os.access(path, os.R_OK | os.W_OK | os.X_OK):
        raise refused("is not readable, writable and searchable by you")
    _remove_stale(Path(path))
    return Path(path)


def _remove_stale(cache: Path) -> None:
    """Remove the temporary directories ``tmp-<pid>-*`` of builders that died, and any
    ``tmp-*`` older than the longest a build may take."""
    for tmp in cache.glob("tmp-*"):
        try:
            age = time.time() - tmp.lstat().st_mtime
        except OSError:  # removed meanwhile
            continue
        pid = tmp.name.split("-")[1]
        if age > TIMEOUT_CEILING + PROBE_TIMEOUT or (pid.isdigit() and not _alive(int(pid))):
            shutil.rmtree(tmp, ignore_errors=True)


def _alive(pid: int) -> bool:
    if os.name != "posix":  # os.kill would terminate it; the age rule alone applies
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but not ours to signal
        pass
    return True


# ---- the compiler ----

@dataclass(frozen=True)
class Compiler:
    """A C compiler command (argument list), its flags and its identity for the cache key."""

    command: Command
    flags: tuple[str, ...]
    identity: str


def compiler_command(compiler: str | os.PathLike[str] | Sequence[str] | None = None,
                     ) -> Command:
    """The compiler as an argument list: ``compiler`` (a program, or program and
    arguments), else ``$CC`` split like a shell would, else ``cc``."""
    if compiler is None:
        return tuple(shlex.split(os.environ.get("CC", ""))) or ("cc",)
    if isinstance(compiler, (str, os.PathLike)):
        return (os.fspath(compiler),)  # a str: the cache key stores it as JSON
    return tuple(compiler)


@cache
def find_compiler(command: Command) -> Compiler:
    """A working Compiler for ``command`` (tuple), or CompilerError saying why not."""
    program = shutil.which(command[0])
    if program is None:
        raise CompilerError(f"C compiler {command[0]!r} not found")
    status, version, err = _run([*command, "--version"], PROBE_TIMEOUT)
    if status != 0:
        raise CompilerError(f"C compiler {command[0]!r} failed on --version: "
                            f"{err.strip()[-500:]}")
    # -v shows what -march=native expands to on this host (gcc and clang).
    status, _, host = _run([*command, *HOST_FLAGS, "-E", "-v", "-x", "c", os.devnull, "-o",
                            os.devnull], PROBE_TIMEOUT)
    if status != 0:
        return Compiler(tuple(command), FLAGS, f"{program}\n{version.strip()}")
    return Compiler(tuple(command), FLAGS + HOST_FLAGS,
                    f"{program}\n{version.strip()}\n{host.strip()}")


def timeout_for(chars: int) -> float:
    """Seconds a compile of ``chars`` characters of generated C may take."""
    return min(TIMEOUT_CEILING, TIMEOUT_FLOOR + TIMEOUT_FACTOR * SECONDS_PER_CHAR * chars)


def _run(command: Sequence[str | os.PathLike[str]], timeout: float,
         cwd: Path | None = None) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of the compiler ``command`` (list), run supervised.

    On POSIX it runs under _supervise.py, which leads a new session (the process group it
    shares with the compiler's own processes), caps their address space at COMPILER_MEMORY
    and kills the group if this process dies. The group is killed here on timeout
    (CompilerError) or on any exception while waiting, such as KeyboardInterrupt (re-raised).
    Output goes to temporary files, not pipes, so nothing the compiler leaves behind can
    block the wait.
    """
    argv = list(command)
    if os.name == "posix":
        argv = [sys.executable, "-I", "-S", str(_SUPERVISOR), str(os.getpid()),
                str(COMPILER_MEMORY), *argv]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=err, start_new_session=True)
        except OSError as exc:
            raise CompilerError(f"C compiler {command[0]!r} does not run: {exc}") from None
        try:
            proc.wait(timeout)
        except BaseException as exc:
            _kill_group(proc)
            if isinstance(exc, subprocess.TimeoutExpired):
                raise CompilerError(f"C compiler {command[0]!r} did not finish within "
                                    f"{timeout:.0f} s and was killed") from None
            raise
        return proc.returncode, _tail(out), _tail(err)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    if os.name == "posix":
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    else:
        proc.kill()
    proc.wait()


def _tail(file: IO[bytes], size: int = 65536) -> str:
    file.seek(max(0, file.seek(0, os.SEEK_END) - size))
    return file.read().decode(errors="replace")


def _failure(command: Sequence[str | os.PathLike[str]], status: int, err: str) -> str:
    """CompilerError message for a compile that exited with ``status``."""
    if status < 0:
        how = f"was killed by signal {-status}"
    else:
        how = f"failed (exit {status})"
    if _OUT_OF_MEMORY.search(err):
        how += (f", out of memory: its address space is capped at {COMPILER_MEMORY >> 20} MiB "
                "(RLIMIT_AS)")
    return f"C compiler {command[0]!r} {how}: {err.strip()[-2000:]}"


# ---- keys and entries ----

@cache
def _csrc() -> dict[str, str]:
    """name -> text of the C files the generated code is compiled with: all of
    tensorgen._csrc, so a header split or added there is part of the build and its key."""
    root = importlib.resources.files("tensorgen._csrc")
    return {f.name: f.read_text() for f in sorted(root.iterdir(), key=lambda f: f.name)
            if f.name.endswith((".h", ".c"))}


@cache
def _pipeline_sources() -> list[str]:
    # (cast: these modules are always loaded from files)
    return [Path(cast(str, m.__file__)).read_text() for m in (expressions, emit, tgmath)]


def cache_key(arch: Architecture, cse: bool, compiler: Compiler) -> str:
    """SHA-256 (hex) of everything that changes the generated library."""
    material = {
        "format": FORMAT,
        "architecture": [list(arch.layers), list(arch.activations), arch.loss],
        "cse": cse,
        "sympy": sympy.__version__,
        "pipeline": _pipeline_sources(),
        "csrc": _csrc(),
        "compiler": [list(compiler.command), compiler.identity],
        "flags": compiler.flags,
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _checked_meta(entry: Path, fields: Mapping[str, type]) -> Meta | None:
    """The entry's meta dict if it is a JSON object recording the library's SHA-256 and, for
    each name -> type of ``fields``, a value of that type; else None."""
    try:
        meta = json.loads((entry / META).read_text())
        if (isinstance(meta, dict) and meta.get("sha256") == _digest(entry / LIBRARY)
                and all(isinstance(meta.get(f), t) for f, t in fields.items())):
            return meta
    except (OSError, ValueError, RecursionError):
        pass
    return None


def _open(library: Path) -> ctypes.CDLL:
    """The ctypes library at ``library``, checked to load and export SYMBOLS; else
    CompilerError saying what is wrong."""
    if not library.is_file():
        raise CompilerError(f"the C compiler exited without error but wrote no {LIBRARY}")
    try:
        lib = ctypes.CDLL(str(library))
    except OSError as exc:
        raise CompilerError(f"the compiled library does not load: {exc}") from None
    missing = [name for name in SYMBOLS if not hasattr(lib, name)]
    if missing:
        raise CompilerError(f"the compiled library does not export {', '.join(missing)}")
    return lib


def load(entry: Path, fields: Mapping[str, type]) -> tuple[ctypes.CDLL, Meta] | None:
    """(ctypes library, meta dict) of the cache entry ``entry`` if it checks out: its meta
    has ``fields`` (see _checked_meta) and its library loads and exports SYMBOLS. None if it
    is missing; an entry that does not check out is discarded, so that it is rebuilt."""
    if not os.path.lexists(entry):
        return None
    meta = _checked_meta(entry, fields)
    if meta is not None:
        try:
            return _open(entry / LIBRARY), meta
        except CompilerError:
            pass
    _discard(entry)
    return None


def compile_entry(cache: Path, key: str, sources: Mapping[str, str], compiler: Compiler,
                  meta: Meta) -> tuple[ctypes.CDLL, Meta]:
    """Compile ``sources`` (name -> text, with tg_sample.c) into ``<cache>/<key>``.

    ``meta`` (a JSON-able dict) is stored with the library, completed with
    ``compile_seconds``, ``library_bytes`` and the library's ``sha256``.

    Builds in a private temporary directory, with a timeout that follows from the size of
    the sources (timeout_for), checks the library (it exists, loads, exports SYMBOLS) and
    publishes it with ``os.replace``; if another process published first, its entry is
    kept. Returns (ctypes library, meta) of the library built here.

    Raises
    ------
    CompilerError
        When the compiler fails, times out or runs out of memory (the message ends with its
        stderr) or its library does not check out. Nothing is published then.
    """
    tmp = Path(tempfile.mkdtemp(prefix=f"tmp-{os.getpid()}-", dir=cache))
    try:
        for name, text in {**_csrc(), **sources}.items():
            (tmp / name).write_text(text)
        units = sorted(name for name in sources if name.endswith(".c")) + ["tg_driver.c"]
        command = [*compiler.command, *compiler.flags, "-I.", *units, "-o", LIBRARY, "-lm"]
        start = time.perf_counter()
        timeout = timeout_for(sum(map(len, sources.values())))
        status, _, err = _run(command, timeout, cwd=tmp)
        if status != 0:
            raise CompilerError(_failure(command, status, err))
        lib = _open(tmp / LIBRARY)
        meta = {**meta, "compile_seconds": time.perf_counter() - start,
                "library_bytes": (tmp / LIBRARY).stat().st_size, "sha256": _digest(tmp / LIBRARY)}
        (tmp / META).write_text(json.dumps(meta))
        entry = cache / key
        if _checked_meta(entry, {}) is None:  # missing or corrupt; a valid one is kept
            _discard(entry)
        try:
            os.replace(tmp, entry)
        except OSError:  # another process published first: keep its entry
            pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return lib, meta


def _discard(entry: Path) -> None:
    """Move an existing entry out of the way atomically, then delete it."""
    if not os.path.lexists(entry):
        return
    trash = Path(tempfile.mkdtemp(prefix=f"tmp-{os.getpid()}-", dir=entry.parent))
    try:
        os.replace(entry, trash / "old")
    except OSError:  # someone else moved or replaced it meanwhile
        pass
    shutil.rmtree(trash, ignore_errors=True)
