"""Build hook: the default fit's kernels compiled ahead of time into the wheel.

``fastbp/_ahead.py`` builds them (``numba.pycc``, this machine's CPU, a C compiler);
without a compiler, or in an editable install, fastbp uses the JIT's kernels.
Everything else about the package is in ``pyproject.toml``.
"""

import os
import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution


class BuildWithKernels(build_py):
    """``build_py``, then ``fastbp._ahead.build`` on the built package."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install's kernels change as they are edited: the JIT's
        package = Path(self.build_lib) / "fastbp"
        # Before the build environment's own path (pip's isolation is on it).
        path = [os.path.abspath(self.build_lib), os.environ.get("PYTHONPATH", "")]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, path)))
        # fastbp._ahead.BUILD_COMMAND (this file does not import fastbp).
        code = "import sys; from fastbp._ahead import build; build(sys.argv[1])"
        done = subprocess.run(
            [sys.executable, "-c", code, str(package)],
            env=env, capture_output=True, text=True,
        )  # fmt: skip
        if done.returncode != 0:
            print(
                "fastbp: the kernels were not built ahead of time (fits compile them on "
                "first use instead):\n" + done.stderr[-2000:],
                file=sys.stderr,
            )


class BinaryDistribution(Distribution):
    """A wheel with machine code in it is this platform's, not any platform's."""

    def has_ext_modules(self):
        return True


setup(cmdclass={"build_py": BuildWithKernels}, distclass=BinaryDistribution)
