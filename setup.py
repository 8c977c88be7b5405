"""Build of TensorGen's Cython kernels: the extension list, compiler directives and an
OpenMP probe (OpenMP is used where the compiler has it; the build succeeds without it)."""

import os
import subprocess
import sys
import tempfile

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

KERNELS = ["_mlp", "_buildinfo", "_finite", "_optim", "_train", "_symbolic"]
DIRECTIVES = {
    "language_level": "3",
    "boundscheck": False,
    "wraparound": False,
    "cdivision": True,
    "initializedcheck": False,
}


def openmp_flags():
    """Compile and link flags for OpenMP, or none where the compiler lacks it."""
    if os.environ.get("TENSORGEN_NO_OPENMP"):
        return [], []
    if sys.platform == "win32":
        return ["/openmp"], []
    cc = os.environ.get("CC", "cc")
    flag = "-fopenmp"
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "probe.c")
        with open(src, "w") as f:
            f.write("#include <omp.h>\nint main(void){return omp_get_max_threads() < 1;}\n")
        try:
            ok = subprocess.run(
                [*cc.split(), flag, src, "-o", os.path.join(tmp, "probe")],
                capture_output=True,
            ).returncode == 0
        except OSError:
            ok = False
    return ([flag], [flag]) if ok else ([], [])


def extensions():
    cflags, lflags = openmp_flags()
    libraries = []
    if sys.platform != "win32":
        cflags = [*cflags, "-O3"]
        # libm named at link time, as any C program's -lm: unnamed, exp() binds to glibc's
        # oldest version of it, the slower SVID-compatible wrapper
        libraries = ["m"]
    macros = [("NPY_NO_DEPRECATED_API", "NPY_1_9_API_VERSION")]
    return [
        Extension(
            f"tensorgen._kernels.{name}",
            [f"tensorgen/_kernels/{name}.pyx"],
            include_dirs=[np.get_include(), "csrc"],
            define_macros=macros,
            extra_compile_args=cflags,
            extra_link_args=lflags,
            libraries=libraries,
        )
        for name in KERNELS
    ]


setup(
    ext_modules=cythonize(extensions(), compiler_directives=DIRECTIVES),
)
