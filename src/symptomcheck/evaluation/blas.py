"""Setting the number of BLAS threads of this process, where numpy's BLAS is an OpenBLAS that says how.

A worker process forked from a parent whose OpenBLAS already runs several threads keeps that many: two such
workers on two cores each spin two BLAS threads, and interviewed about five times slower than with one thread
each (47 against 228 patients a second on the 588-patient DDXPlus file, broad model). The
environment variables that ask for one thread are read only when the library is loaded, so a forked worker
must call the library itself; without such a call the evaluation spawns its workers instead.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from pathlib import Path

# the names OpenBLAS builds export the call under (plain, 64-bit integer interface, numpy's own wheels)
_SETTERS = (
    "openblas_set_num_threads",
    "openblas_set_num_threads64_",
    "scipy_openblas_set_num_threads64_",
    "scipy_openblas_set_num_threads",
)
_MAPS = Path("/proc/self/maps")


def blas_thread_setter() -> Callable[[int], object] | None:
    """The loaded OpenBLAS's call that sets its number of threads, or None when none is found (another BLAS,
    or a system without /proc)."""
    try:
        import numpy  # noqa: F401  (loads the BLAS numpy uses, if not yet loaded)

        lines = _MAPS.read_text().splitlines()
    except OSError:
        return None
    paths = sorted({line.split()[-1] for line in lines if "openblas" in line.rsplit("/", 1)[-1].lower()})
    for path in paths:
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for name in _SETTERS:
            setter = getattr(library, name, None)
            if setter is not None:
                setter.argtypes = [ctypes.c_int]
                setter.restype = None
                found: Callable[[int], object] = setter
                return found
    return None
