"""symptomcheck: an interactive symptom checker that supports decisions and never diagnoses."""

import os
import sys

__version__ = "0.1.0"

# The server computes requests in parallel already (threads, and one worker process per core); OpenBLAS's own
# threads on top of that only add synchronisation to its tiny products (one person's answers at a time): the
# differential's network took 4.6 ms per assessment with them on 2 busy cores, 0.6 ms without. It reads the
# setting when numpy loads it, so it is set here, before anything imports numpy, and for `serve` only (`fit`
# and `evaluate` multiply large matrices, where OpenBLAS's threads help).
if sys.argv[1:2] == ["serve"]:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
