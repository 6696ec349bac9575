"""The examples, the demo and the style check run as a user would run them."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


def run(*args, timeout=300):
    result = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, cwd=ROOT, timeout=timeout
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(path):
    out = run(str(path))
    assert out.strip()
    if path.stem == "xor":
        assert "XOR learned." in out


@pytest.mark.slow
def test_demo_prints_progress_and_comparison():
    out = run("-m", "fastbp", "demo", "--epochs", "2", "--hidden", "16")
    assert "Epoch 1, loss = " in out and "Epoch 2, loss = " in out
    assert "sklearn MLPClassifier" in out
    assert "faster than sklearn" in out


def test_ruff_is_clean():
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (pip install '.[test]' brings it)")
    result = subprocess.run([ruff, "check", str(ROOT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_asv_suite_is_valid():
    # asv imports every benchmark and checks its signature, on this environment.
    asv = shutil.which("asv")
    if asv is None:
        pytest.skip("asv is not installed (pip install '.[test]' brings it)")
    result = subprocess.run(
        [asv, "check", "-E", "existing"], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No problems found" in result.stdout


@pytest.mark.slow
def test_bench_runs_and_reports(capsys):
    from fastbp._bench import compare

    results = compare.run(("A", "B"), rounds=1)
    assert set(results) == {"A", "B"}
    for entry in results.values():
        assert all(len(v) == 1 and v[0] > 0 for v in entry["rates"].values())
        assert "fastbp bs=1 float64" in entry["rates"]
        assert "sklearn MLP bs=1" in entry["rates"]
        assert {"floor bs=1 float64", "floor bs=1 float32"} <= set(entry["rates"])
    compare.report(results, {"float64": 40.0, "float32": 80.0})
    out = capsys.readouterr().out
    assert "fastbp bs=1 / sklearn MLP bs=1" in out and "of the 40 GFLOP/s" in out
    assert out.count("the plain Numba loop's (floor): float64 ") == 2


def test_bench_times_the_data_path_and_reports_its_ratios(capsys):
    # Shuffled epochs, SGDClassifier shuffled, partial_fit, and D's data grown.
    import numpy as np

    from fastbp._bench import compare
    from fastbp._bench.workloads import workload as data

    X, y, hidden, loss = data("D")
    contenders = compare._data_path("D", X[:500], y[:500], hidden, loss, True, 800)
    rates = {key: [compare._timed(*contender)] for key, contender in contenders.items()}
    assert all(rate[0] > 0 for rate in rates.values())
    assert set(compare._data_path("C", X[:500], y[:500], (4,), loss, True, 800)) == {
        "fastbp bs=1 float64 shuffled"
    }
    assert compare._data_path("A", X, y, (4,), loss, True, 800) == {}
    # The report's arithmetic, on made-up rates: costs are inverse rates.
    made_up = {
        "fastbp bs=1 float64": 60.0,
        "fastbp bs=1 float64 shuffled": 40.0,
        "sklearn SGDClassifier shuffled": 10.0,
        "fastbp partial_fit float64": 50.0,
        "fastbp bs=1 float64, 800 rows": 75.0,
        "fastbp bs=1 float64 shuffled, 800 rows": 25.0,
        "X.sum(), 800 rows": 150.0,
    }
    assert set(made_up) - {"fastbp bs=1 float64"} == set(rates)
    compare._report_data_path({k: np.median([v]) for k, v in made_up.items()}, 500)
    out = capsys.readouterr().out
    assert "shuffled / unshuffled epoch cost (fastbp bs=1 float64): 1.50x" in out
    assert "fastbp bs=1 shuffled / SGDClassifier shuffled: 4.00x" in out
    assert "partial_fit epoch cost / fit epoch cost (float64): 1.20x" in out
    assert (
        "at 800 rows: cost per example / at 500 rows 0.80x; / one X.sum() per row "
        "2.00x; shuffled / unshuffled 3.00x" in out
    )


@pytest.mark.parametrize("workload", ["A", "B", "D"])
def test_bench_floor_takes_fastbps_step(workload):
    # The floor loop is the same per-example step: from the same weights, one epoch
    # of it equals one partial_fit epoch of fastbp (logistic hidden units, no L2).
    import numpy as np
    from sklearn.preprocessing import label_binarize

    from fastbp._bench.floor import hidden_epochs, linear_epochs
    from fastbp._bench.workloads import fastbp_model
    from fastbp._bench.workloads import workload as data

    X, y, hidden, loss = data(workload)
    X, y = X[:300], y[:300]
    model = fastbp_model(hidden, loss, 1, max_iter=1).fit(X, y)
    weights = [np.ascontiguousarray(c.T) for c in model.coefs_]
    biases = [b.copy() for b in model.intercepts_]
    T = label_binarize(y, classes=model.classes_).astype(float)
    model.partial_fit(X, y)
    if hidden:
        hidden_epochs(X, T, weights[0], biases[0], weights[1], biases[1], 0.01, 1,
                      loss == "squared_error")  # fmt: skip
    else:
        linear_epochs(X, T, weights[0][0], biases[0], 0.01, 1)
    for ours, floor in zip(model.coefs_, weights):
        np.testing.assert_allclose(floor, ours.T, rtol=1e-9, atol=1e-12)
    for ours, floor in zip(model.intercepts_, biases):
        np.testing.assert_allclose(floor, ours, rtol=1e-9, atol=1e-12)


def test_first_fit_floor_learns_digits():
    # The floor of the time to a first fit trains the bench's network for real.
    import numpy as np
    from sklearn.datasets import load_digits

    from fastbp._bench.floor import first_fit

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    W1, b1, W2, b2 = first_fit(X, y, hidden=32, epochs=10)
    hidden = 1.0 / (1.0 + np.exp(-(X @ W1.T + b1)))
    assert np.mean(np.argmax(hidden @ W2.T + b2, axis=1) == y) > 0.9  # 0.79 after one


@pytest.mark.parametrize("case", ["plain Numba loop, warm", "plain Numba loop, empty"])
def test_first_fit_cases_run_in_a_fresh_interpreter(case):
    from fastbp._bench.compare import first_fit_code

    code = first_fit_code(case)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_solvers_bench_reports_speed_and_the_same_weights(capsys):
    from fastbp._bench import solvers

    cases = ("digits, adam, batch 1", "digits, lbfgs")
    results = solvers.run(cases, rounds=1)
    assert set(results) == set(cases)
    for entry in results.values():
        assert entry["fastbp"][0] > 0 and entry["sklearn"][0] > 0
        assert entry["difference"] < 1e-9  # the same model as scikit-learn's
    solvers.report(results)
    out = capsys.readouterr().out
    assert "digits, lbfgs" in out and "x  (" in out


@pytest.mark.slow
def test_scale_bench_runs_and_reports(capsys):
    from fastbp._bench import scale

    scale.main(rounds=1, small=True)
    out = capsys.readouterr().out
    assert "n_jobs=2 / n_jobs=1 (per round): " in out
    assert "accuracy n_jobs=2 - n_jobs=1: " in out
    assert "n_jobs=2 speed-up (per round): " in out
    assert "standardized features" in out
    assert "features scaled to [0, 1], a steep accuracy curve" in out
