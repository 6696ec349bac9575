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
