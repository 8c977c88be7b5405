# Types of the compiled module _finite_avx2.pyx: the same names as _finite.
from ._finite import *  # noqa: F403
