"""The fastbp command as a person uses it: train, predict, bad arguments, bad data."""

import shutil
import subprocess
import sys

import joblib
import numpy as np
import pytest
from sklearn.datasets import load_iris

from fastbp._cli import build_parser, main


def write_csv(path, header, rows):
    lines = [",".join(header)] + [",".join(map(str, row)) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def iris_csv(tmp_path_factory):
    iris = load_iris()
    rows = [[*x, iris.target_names[t]] for x, t in zip(iris.data, iris.target)]
    header = ["sepal_length", "sepal_width", "petal_length", "petal_width", "species"]
    return write_csv(tmp_path_factory.mktemp("cli") / "iris.csv", header, rows)


def run(capsys, *argv):
    """``(exit status, stdout, stderr)`` of the command."""
    try:
        status = main([str(a) for a in argv])
    except SystemExit as stop:
        status = stop.code
    out, err = capsys.readouterr()
    return status, out, err


def test_train_then_predict_a_csv(iris_csv, tmp_path, capsys):
    model = tmp_path / "iris.joblib"
    status, out, _ = run(capsys, "train", iris_csv, "--target", "species", "--model",
                         model, "--hidden", "16", "--epochs", "30")  # fmt: skip
    assert status == 0
    lines = out.splitlines()
    assert [line.split(",")[0] for line in lines[:30]] == [
        f"Epoch {n}" for n in range(1, 31)
    ]  # one progress line per epoch
    assert "trained FastBPClassifier 4-16-3 (sgd, 30 epochs) on 150 rows" in out
    assert lines[-1] == f"saved to {model}"
    bundle = joblib.load(model)
    assert bundle["target"] == "species" and len(bundle["features"]) == 4

    status, out, _ = run(capsys, "predict", model, iris_csv)
    assert status == 0
    header, *predictions = out.splitlines()
    assert header == "species" and len(predictions) == 150
    iris = load_iris()
    expected = bundle["model"].predict(iris.data)
    assert predictions == list(expected)
    assert np.mean(np.array(predictions) == iris.target_names[iris.target]) > 0.9

    output = tmp_path / "probabilities.csv"
    status, out, _ = run(capsys, "predict", model, iris_csv, "--proba", "--output", output)
    assert status == 0 and out.strip() == f"wrote 150 predictions to {output}"
    header, *rows = output.read_text().splitlines()
    assert header == "setosa,versicolor,virginica"
    np.testing.assert_allclose(
        np.array([row.split(",") for row in rows], dtype=float),
        bundle["model"].predict_proba(iris.data), rtol=1e-15,
    )  # fmt: skip


def test_regression_and_parquet(tmp_path, capsys):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    frame["price"] = 100 + 50 * X[:, 0] - 20 * X[:, 1]
    frame.to_parquet(tmp_path / "prices.parquet")
    model = tmp_path / "prices.joblib"
    status, out, _ = run(capsys, "train", tmp_path / "prices.parquet", "--target",
                         "price", "--regression", "--model", model, "--quiet",
                         "--epochs", "40")  # fmt: skip
    assert status == 0 and "Epoch" not in out
    assert float(out.split("training R^2 ")[1].split()[0]) > 0.99
    # Predicting ignores the target column (here left out of the file altogether).
    frame.drop(columns="price").to_csv(tmp_path / "new.csv", index=False)
    status, out, _ = run(capsys, "predict", model, tmp_path / "new.csv")
    header, *values = out.splitlines()
    assert status == 0 and header == "price"
    np.testing.assert_allclose(np.array(values, dtype=float), frame["price"], atol=5.0)


TRAIN = ["train", "data.csv", "--target", "y", "--model", "m"]


@pytest.mark.parametrize(
    "argv, named",
    [
        ([*TRAIN, "--epochs", "-3"], "--epochs"),
        ([*TRAIN, "--hidden", "3,x"], "--hidden"),
        (["train", "data.csv", "--model", "m"], "--target"),
        ([*TRAIN, "--solver", "newton"], "--solver"),
        ([*TRAIN, "--learning-rate", "0"], "--learning-rate"),
        (["bench", "--workloads", "Z"], "--workloads"),
        (["bench", "--rounds", "0"], "--rounds"),
        (["predict", "model-only"], "DATA"),
        (["fly"], "COMMAND"),
    ],
)  # fmt: skip
def test_bad_arguments_are_one_line_before_any_work(argv, named, capsys):
    status, out, err = run(capsys, *argv)
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert named in err and "--help" in err


def test_bad_data_is_one_line_that_names_it(iris_csv, tmp_path, capsys):
    bad = write_csv(
        tmp_path / "bad.csv", ["a", "b", "label"], [[1, 2, "x"], [3, "oops", "y"]]
    )
    holes = write_csv(
        tmp_path / "holes.csv", ["a", "b", "label"], [[1, 2, "x"], [3, "", "y"]]
    )
    model = tmp_path / "m.joblib"
    cases = [
        (["train", bad, "--target", "label", "--model", model], "column 'b', data row 2"),
        (["train", holes, "--target", "label", "--model", model], "missing"),
        (["train", iris_csv, "--target", "kind", "--model", model], "no column named"),
        (["train", tmp_path / "no.csv", "--target", "y", "--model", model], "no such file"),
        (["predict", iris_csv, iris_csv], "not a model"),
        (["train", iris_csv, "--target", "species", "--model", model, "--no-scale",
          "--learning-rate", "1e6", "--quiet"], "--learning-rate"),
    ]  # fmt: skip
    for argv, named in cases:
        status, _, err = run(capsys, *argv)
        assert status == 1, argv
        assert len(err.strip().splitlines()) == 1 and named in err, err
        assert err.startswith(f"fastbp {argv[0]}: error: ")
    assert not model.exists()


def test_help_of_every_command_is_plain_text(capsys):
    commands = [[], ["train"], ["predict"], ["demo"], ["bench"]]
    for command in commands:
        status, out, _ = run(capsys, *command, "--help")
        assert status == 0 and "usage: fastbp" in out
        assert "``" not in out and ":func:" not in out and ":mod:" not in out
    options = [a.dest for a in build_parser()._subparsers._group_actions[0].choices[
        "train"]._actions]  # fmt: skip
    assert {"hidden", "epochs", "learning_rate", "batch_size", "regression"} <= set(options)


def test_console_script_and_module_print_the_version():
    import fastbp

    commands = [[sys.executable, "-m", "fastbp", "--version"]]
    if shutil.which("fastbp"):
        commands.append(["fastbp", "--version"])
    for command in commands:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert (
            done.returncode == 0 and done.stdout.strip() == f"fastbp {fastbp.__version__}"
        )


def test_compile_reports_each_variant(capsys, monkeypatch):
    from fastbp import _compile

    one = [("per-example SGD", {}, "dense"), ("sparse mini-batch SGD", {"batch_size": 8},
                                              "sparse")]  # fmt: skip
    monkeypatch.setattr(_compile, "VARIANTS", one)
    status, out, _ = run(capsys, "compile", "--dtype", "float64")
    assert status == 0
    lines = out.splitlines()
    assert lines[0].split() == ["variant", "dtype", "seconds", "what"]
    for line, (name, _, _) in zip(lines[1:3], one):
        assert line.startswith(name) and " float64 " in line
        assert line.endswith(("compiled", "loaded from the cache"))
    assert "s compiling" in lines[-2] and "cached in" in lines[-2]
    assert "built at install for this machine" in lines[-1]
    assert [v[0] for v in _compile.VARIANTS] == [v[0] for v in one]


def test_compile_variants_are_distinct_settings_over_every_data_kind():
    from fastbp._compile import VARIANTS

    settings = [(tuple(sorted(params.items())), kind) for _, params, kind in VARIANTS]
    assert len(set(settings)) == len(settings)
    kinds = {kind for _, _, kind in VARIANTS}
    assert kinds == {"dense", "wide", "sparse"}


def test_first_compile_seconds_names_the_variants_it_knows():
    from fastbp._compile import first_compile_seconds

    with pytest.raises(ValueError, match=r"unknown variant 'per-example sgd'.*VARIANTS"):
        first_compile_seconds("per-example sgd")
