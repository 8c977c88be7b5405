"""Build of TensorGen's Cython kernels: the extension list, compiler directives and the
probes for OpenMP and AVX2 (each used where the compiler has it; the build succeeds
without them)."""

import glob
import os
import subprocess
import sys
import tempfile

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

KERNELS = ["_codes", "_arrays", "_seam", "_mlp", "_buildinfo", "_finite", "_forward",
           "_forward_gradient", "_optim", "_train", "_penalty", "_symbolic", "_testing"]
DIRECTIVES = {
    "language_level": "3",
    "boundscheck": False,
    "wraparound": False,
    "cdivision": True,
    "initializedcheck": False,
}


# Kernels also built with these flags, as <name>_avx2, where the compiler takes them (x86);
# the package imports that build only on CPUs that run it (_buildinfo.cpu_avx2_fma).
# Only the loop marked `omp simd` is vectorized there: auto-vectorized, the sweep's short
# per-parameter loops (often one unit wide) ran 4-wide prologues and epilogues every call,
# and a 128-128-1 sweep took 1.2x the portable build's time instead of 0.8x.
AVX2_KERNELS = ["_finite", "_testing"]
AVX2_FLAGS = ["-mavx2", "-mfma", "-fno-tree-vectorize", "-fopenmp-simd"]


def compiles(flags, source):
    """Whether the C compiler ($CC, else cc) builds a program from source with flags, for
    the target architectures of the build ($ARCHFLAGS on macOS, as setuptools uses it)."""
    cc = os.environ.get("CC", "cc")
    flags = [*flags, *os.environ.get("ARCHFLAGS", "").split()]
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "probe.c")
        with open(src, "w") as f:
            f.write(source)
        try:
            return subprocess.run(
                [*cc.split(), *flags, src, "-o", os.path.join(tmp, "probe")],
                capture_output=True,
            ).returncode == 0
        except OSError:
            return False


def openmp_flags():
    """Compile and link flags for OpenMP, or none where the compiler lacks it."""
    if os.environ.get("TENSORGEN_NO_OPENMP"):
        return [], []
    if sys.platform == "win32":
        return ["/openmp"], []
    flag = "-fopenmp"
    ok = compiles([flag], "#include <omp.h>\nint main(void){return omp_get_max_threads() < 1;}\n")
    return ([flag], [flag]) if ok else ([], [])


def avx2_flags():
    """The AVX2 + FMA flags where the compiler targets x86 and takes them, else None."""
    if sys.platform == "win32" or os.environ.get("TENSORGEN_NO_AVX2"):
        return None
    probe = "#include <immintrin.h>\nint main(void){return _mm256_cvtsd_f64(_mm256_fmadd_pd(" \
            "_mm256_set1_pd(1), _mm256_set1_pd(2), _mm256_set1_pd(3))) != 5;}\n"
    return AVX2_FLAGS if compiles(AVX2_FLAGS, probe) else None


def extensions():
    cflags, lflags = openmp_flags()
    libraries = []
    if sys.platform != "win32":
        cflags = [*cflags, "-O3"]
        # libm named at link time, as any C program's -lm: unnamed, exp() binds to glibc's
        # oldest version of it, the slower SVID-compatible wrapper
        libraries = ["m"]
    macros = [("NPY_NO_DEPRECATED_API", "NPY_1_9_API_VERSION")]
    builds = [(name, cflags) for name in KERNELS]
    avx2 = avx2_flags()
    if avx2:
        builds += [(f"{name}_avx2", [*cflags, *avx2]) for name in AVX2_KERNELS]
    return [
        Extension(
            f"tensorgen._kernels.{name}",
            [f"tensorgen/_kernels/{name}.pyx"],
            include_dirs=[np.get_include(), "csrc"],
            # Cython tracks the headers a .pyx names, not those they include
            depends=sorted(glob.glob("csrc/*.h")),
            define_macros=macros,
            extra_compile_args=flags,
            extra_link_args=lflags,
            libraries=libraries,
        )
        for name, flags in builds
    ]


setup(
    ext_modules=cythonize(extensions(), compiler_directives=DIRECTIVES),
)
