"""tg.show_config(): what it reports is what this build and environment actually are."""

import importlib.util
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import scipy

import tensorgen as tg
from tensorgen import _config
from tensorgen._kernels import _buildinfo, _mlp, _testing
from tensorgen.engines import finite


def shown():
    out = io.StringIO()
    tg.show_config(file=out)
    return dict(line.split(":", 1) for line in out.getvalue().splitlines())


def test_show_config_prints_every_fact():
    facts = {name: value.strip() for name, value in shown().items()}
    assert list(facts) == ["tensorgen", "python", "platform", "numpy", "scipy", "openmp",
                           "pass threads", "dtypes", "finite sweep", "activations", "blas",
                           "blas loaded", "c compiler", "cache dir", "mpi"]
    assert facts["dtypes"] == "float64, float32"
    assert facts["pass threads"].startswith("by size")
    tg.set_num_threads(1)
    try:
        assert shown()["pass threads"].strip() == "1 (tg.set_num_threads)"
    finally:
        tg.set_num_threads(None)
    assert facts["tensorgen"] == tg.__version__
    assert facts["scipy"] == scipy.__version__
    with_openmp, threads = _buildinfo.openmp()
    assert facts["openmp"].startswith(f"yes, {threads} threads" if with_openmp else "no")
    avx2 = finite._sweep.__name__.endswith("_avx2")
    assert facts["finite sweep"].startswith("AVX2" if avx2 else "portable build")
    build = {"avx512": "AVX-512", "avx2": "AVX2", "portable": "portable"}[_mlp.vmath_build()]
    assert facts["activations"].startswith(build)
    assert facts["mpi"] == _config.mpi()


def test_mpi_reports_library_and_world_size_or_its_absence():
    code = "import tensorgen as tg; print(tg._config.mpi())"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    if importlib.util.find_spec("mpi4py") is None:
        assert run.stdout.startswith("no mpi4py")
    else:
        from mpi4py import MPI

        library = " ".join(MPI.Get_library_version().split()[:3])
        assert library in run.stdout and run.stdout.strip().endswith("world size 1")


def test_import_tensorgen_does_not_import_mpi4py():
    code = "import sys, tensorgen; sys.exit('mpi4py' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_finite_sweep_build_follows_tensorgen_no_avx2(tmp_path):
    code = "import tensorgen as tg; print(tg._config.finite_sweep())"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "TENSORGEN_NO_AVX2": "1"}, cwd=tmp_path,
                         timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "portable build (TENSORGEN_NO_AVX2 is set)"


def activations_with(tmp_path, **env):
    """_config.activations() in a fresh process with env (and no other TENSORGEN_NO_*)."""
    base = {k: v for k, v in os.environ.items()
            if k not in ("TENSORGEN_NO_AVX2", "TENSORGEN_NO_AVX512")}
    code = "import tensorgen as tg; print(tg._config.activations())"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**base, **env}, cwd=tmp_path, timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    return run.stdout.strip()


def runs(build):
    try:
        _testing.build_name(build)
    except ValueError:
        return False
    return True


def test_activations_build_is_the_widest_the_cpu_runs_and_the_environment_allows(tmp_path):
    widest = ("AVX-512 build" if runs("avx512") else
              "AVX2 + FMA build" if runs("avx2") else "portable build")
    assert activations_with(tmp_path) == widest
    no_avx2 = "portable build (TENSORGEN_NO_AVX2 is set)"
    assert activations_with(tmp_path, TENSORGEN_NO_AVX2="1") == no_avx2
    no_avx512 = ("AVX2 + FMA build (TENSORGEN_NO_AVX512 is set)" if runs("avx2") else
                 "portable build")
    assert activations_with(tmp_path, TENSORGEN_NO_AVX512="1") == no_avx512


@pytest.mark.parametrize("n_threads", ["1", "3"])
def test_openmp_thread_count_follows_omp_num_threads(n_threads, tmp_path):
    code = "from tensorgen._kernels import _buildinfo; print(*_buildinfo.openmp())"
    # From tmp_path: `python -c` puts the working directory first on sys.path.
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "OMP_NUM_THREADS": n_threads}, cwd=tmp_path,
                         timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    with_openmp, threads = run.stdout.split()
    assert threads == (n_threads if with_openmp == "True" else "1")


def test_cache_dir_rule(monkeypatch, tmp_path):
    monkeypatch.setenv("TENSORGEN_CACHE_DIR", str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert _config.cache_dir() == tmp_path / "explicit"
    monkeypatch.delenv("TENSORGEN_CACHE_DIR")
    assert _config.cache_dir() == tmp_path / "xdg" / "tensorgen"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert _config.cache_dir() == Path.home() / ".cache" / "tensorgen"
    assert not (tmp_path / ".cache").exists()  # reporting creates nothing


def test_cache_dir_and_compiler_agree_with_the_symbolic_engine(monkeypatch, tmp_path):
    build = pytest.importorskip("tensorgen._codegen.build",
                                reason="the symbolic engine is not on this branch")
    monkeypatch.delenv("TENSORGEN_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert build.cache_dir() == _config.cache_dir()
    monkeypatch.setenv("CC", "gcc -m64")
    assert _config.c_compiler().startswith(" ".join(build.compiler_command()) + " (")


def test_c_compiler_from_cc(monkeypatch):
    monkeypatch.setenv("CC", "no-such-compiler-tg --flag")
    assert _config.c_compiler().startswith("no-such-compiler-tg --flag (not found")
    monkeypatch.delenv("CC")
    if shutil.which("cc") is None:
        pytest.skip("no cc on this machine")
    assert _config.c_compiler().startswith(f"cc ({shutil.which('cc')}: ")


def test_blas_without_threadpoolctl(monkeypatch):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # import now raises
    assert _config.blas_loaded().startswith("unknown")
    name = scipy.show_config(mode="dicts")["Build Dependencies"]["blas"]["name"]
    assert _config.blas().startswith(name)


def test_blas_loaded_lists_scipys_library():
    pytest.importorskip("threadpoolctl")
    loaded = _config.blas_loaded()
    assert "threads (" in loaded, loaded
