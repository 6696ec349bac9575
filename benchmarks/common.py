"""Workloads shared by the benchmarks: fastbp's own (``fastbp._bench.workloads``)."""

import warnings

from sklearn.exceptions import ConvergenceWarning

from fastbp._bench.workloads import fastbp_model, workload

warnings.simplefilter("ignore", ConvergenceWarning)
warnings.simplefilter("ignore", UserWarning)

__all__ = ["fastbp_model", "workload"]
