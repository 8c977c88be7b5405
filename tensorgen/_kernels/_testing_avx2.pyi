# Types of the compiled module _testing_avx2.pyx: the same names as _testing.
from ._testing import *  # noqa: F403
