"""The one BLAS thread limiter (tensorgen._blas): counted, so overlapping users restore the
caller's setting only when the last one ends."""

import os
import subprocess
import sys

import pytest

from tensorgen._blas import _Limiter

threadpoolctl = pytest.importorskip("threadpoolctl")


def blas_threads():
    return sorted(i["num_threads"] for i in threadpoolctl.threadpool_info()
                  if i["user_api"] == "blas")


def test_limit_is_counted_and_restores_the_users_setting():
    import scipy.linalg  # noqa: F401  (loads SciPy's BLAS, so threadpoolctl sees it)

    guard = _Limiter()
    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        before = blas_threads()
        outer = guard.limit(1)
        assert "1 thread" in outer.__enter__()
        with guard.limit(1):  # a second user at once (another Python thread)
            assert set(blas_threads()) == {1}
        assert set(blas_threads()) == {1}  # the first one still runs
        outer.__exit__(None, None, None)
        assert blas_threads() == before


def test_limit_covers_the_kernels_blas_loaded_after_it():
    """The kernels load SciPy's BLAS on their first large batch, which may come after the
    first limit (the study enters one before any gradient): the limit must cover it."""
    code = (
        "import sys\n"
        "from threadpoolctl import threadpool_info\n"
        "from tensorgen._blas import limit_blas\n"
        "assert 'scipy.linalg' not in sys.modules\n"
        "with limit_blas(1):\n"
        "    from scipy.linalg import cython_blas\n"
        "    print(sorted({i['num_threads'] for i in threadpool_info()\n"
        "                  if i['user_api'] == 'blas'}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "OPENBLAS_NUM_THREADS": "2"})
    assert out.stdout.strip() == "[1]", out.stdout + out.stderr


def test_one_module_controls_blas_threads():
    """tensorgen._blas is the only module that limits BLAS (set_num_threads goes through it)."""
    from pathlib import Path

    import tensorgen

    users = sorted(p.relative_to(Path(tensorgen.__file__).parent).as_posix()
                   for p in Path(tensorgen.__file__).parent.rglob("*.py")
                   if "ThreadpoolController" in p.read_text()
                   or "threadpool_limits" in p.read_text())
    assert users == ["_blas.py"]
