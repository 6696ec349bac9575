"""The import swap: fastbp.MLPClassifier against scikit-learn's, same parameters."""

import time

import numpy as np

from fastbp._bench.workloads import SOLVER_CASES, solver_case

from .common import OneBLASThread  # and the warning filters


class SolverFit(OneBLASThread):
    """A whole fit of ``fastbp.MLPClassifier`` per case (one thread, JIT warmed up)."""

    params = [list(SOLVER_CASES)]
    param_names = ["case"]
    timeout = 300

    def setup(self, case):
        import fastbp

        self.X, self.y, params = solver_case(case)
        self.model = fastbp.MLPClassifier(**params)
        fastbp.MLPClassifier(**{**params, "max_iter": 1}).fit(self.X[:300], self.y[:300])
        self.one_blas_thread()

    def time_fit(self, case):
        self.model.fit(self.X, self.y)


class SolverRatioToSklearn(OneBLASThread):
    """fastbp fit time / scikit-learn's, same parameters, interleaved rounds in one
    run (lower is better; a ratio within one run survives a noisy machine)."""

    params = [list(SOLVER_CASES)]
    param_names = ["case"]
    timeout = 600

    def setup(self, case):
        from sklearn.neural_network import MLPClassifier

        import fastbp

        self.X, self.y, params = solver_case(case)
        self.models = (fastbp.MLPClassifier(**params), MLPClassifier(**params))
        fastbp.MLPClassifier(**{**params, "max_iter": 1}).fit(self.X[:300], self.y[:300])
        self.one_blas_thread()

    def track_time_ratio(self, case):
        ratios = []
        for round_ in range(3):
            seconds = []
            for model in self.models if round_ % 2 == 0 else self.models[::-1]:
                start = time.perf_counter()
                model.fit(self.X, self.y)
                seconds.append(time.perf_counter() - start)
            if round_ % 2:
                seconds.reverse()
            ratios.append(seconds[0] / seconds[1])
        return float(np.median(ratios))

    track_time_ratio.unit = "fastbp/sklearn"
