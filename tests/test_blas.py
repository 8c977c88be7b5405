"""The one BLAS thread limiter (tensorgen._blas): counted, so overlapping users restore the
caller's setting only when the last one ends."""

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
