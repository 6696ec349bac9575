"""The README tells the truth: its links and images exist, its snippets run."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def tracked_files():
    try:
        listed = subprocess.run(
            ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return set(listed.splitlines())


def test_every_link_and_image_is_a_tracked_file_of_the_repository():
    targets = re.findall(r"\]\(([^)\s]+)\)", README)  # [text](target) and ![alt](target)
    assert targets, "the README has links"
    tracked = tracked_files()
    for target in targets:
        assert "://" not in target, f"{target}: the README links outside the repository"
        path = target.split("#")[0]
        assert path in tracked, f"{target} is not a tracked file of the repository"


def python_block_after(heading):
    """The first ```python block under ``heading``."""
    section = README[README.index(heading) :]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_xor_snippet_learns_xor(capsys):
    namespace = {}
    exec(python_block_after("### The seed notes' setting"), namespace)
    np.testing.assert_array_equal(namespace["net"].predict(namespace["X"]), [0, 1, 1, 0])
    assert capsys.readouterr().out.strip() == "[0 1 1 0]"


def test_import_swap_snippet_runs():
    namespace = {}
    exec(python_block_after("### scikit-learn's MLP, faster"), namespace)
    assert namespace["clf"].score(namespace["X"] / 16, namespace["y"]) > 0.95


def test_command_line_snippet_runs(tmp_path):
    # The README's command-line block, line by line, in an empty folder.
    import shutil

    if shutil.which("fastbp") is None:
        pytest.skip("the fastbp command is not installed (pip install . brings it)")
    section = README[README.index("### From the command line") :]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    for line in block.strip().splitlines():
        done = subprocess.run(
            ["bash", "-c", line], cwd=tmp_path, capture_output=True, text=True,
            timeout=600,
        )  # fmt: skip
        assert done.returncode == 0, line + "\n" + done.stdout + done.stderr
    predictions = (tmp_path / "predictions.csv").read_text().splitlines()
    assert predictions[0] == "target" and len(predictions) == 151


@pytest.mark.slow
def test_parallel_sgd_snippet_runs_as_a_script(tmp_path):
    # Its LocalCluster starts worker processes: run it as the script a user pastes.
    pytest.importorskip("distributed", reason="needs the dask extra")
    script = tmp_path / "parallel.py"
    script.write_text(python_block_after("**One model on many machines"))
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert float(done.stdout.strip().splitlines()[-1]) > 0.9
