"""The README's quick dashboard commands publish a dashboard that holds the commit."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SELECTION = "Predict.time_predict_proba"  # one quick benchmark stands for the suite


def readme_dashboard_commands():
    """The asv lines of the README's block headed 'The dashboard of HEAD'."""
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"# The dashboard of HEAD.*?\n(.*?)(?:\n# |```)", readme, re.S)
    lines = [line.split("  #")[0].strip() for line in block.group(1).splitlines()]
    return [line for line in lines if line.startswith("asv ")]


@pytest.mark.slow
def test_readme_dashboard_commands_publish_the_commit_with_values(tmp_path):
    if shutil.which("asv") is None or shutil.which("git") is None:
        pytest.skip("asv and git are needed (pip install '.[test]' brings asv)")
    repo = tmp_path / "repo"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(repo)], check=True)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()
    env = dict(os.environ, HOME=str(tmp_path))  # asv's machine file goes here
    commands = readme_dashboard_commands()
    assert [c.split()[1] for c in commands] == ["machine", "run", "publish"]
    for command in commands:
        if command.startswith("asv run"):
            command += f" --bench {SELECTION}"
        done = subprocess.run(
            ["bash", "-c", command], cwd=repo, env=env, capture_output=True, text=True,
            timeout=900,
        )  # fmt: skip
        assert done.returncode == 0, command + "\n" + done.stdout + done.stderr
    html = repo / ".asv" / "html"
    index = json.loads((html / "index.json").read_text())
    assert head in index["revision_to_hash"].values()
    revision = next(r for r, h in index["revision_to_hash"].items() if h == head)
    graphs = [
        p for p in (html / "graphs").rglob(f"*{SELECTION}.json") if "summary" not in p.parts
    ]
    assert graphs, "no graph of the benchmark was published"
    points = json.loads(graphs[0].read_text())
    assert [point[0] for point in points] == [int(revision)]
    values = points[0][1]  # one value per parameter (float64, float32)
    assert len(values) == 2 and all(v is not None and v > 0 for v in values)
