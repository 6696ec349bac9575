"""Workloads shared by the benchmarks: fastbp's own (``fastbp._bench.workloads``)."""

import warnings

from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from fastbp._bench.workloads import fastbp_model, workload

warnings.simplefilter("ignore", ConvergenceWarning)
warnings.simplefilter("ignore", UserWarning)

__all__ = ["OneBLASThread", "fastbp_model", "workload"]


class OneBLASThread:
    """Base of the benchmarks that time one thread: their ``setup`` calls
    :meth:`one_blas_thread`, and asv's ``teardown`` after each benchmark gives BLAS
    its threads back."""

    def one_blas_thread(self):
        self.limits = threadpool_limits(1)

    def teardown(self, *args):
        self.limits.restore_original_limits()
