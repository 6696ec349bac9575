"""Install hooks (``[tool.setuptools.cmdclass]`` in ``pyproject.toml``): the default
fit's kernels compiled ahead of time into the wheel, which is then this platform's.

``fastbp/_ahead.py`` builds them (``numba.pycc``, this machine's CPU, a C compiler);
without a compiler, or in an editable install, fastbp uses the JIT's kernels.
"""

import os
import subprocess
import sys
from pathlib import Path

from setuptools.command.bdist_wheel import bdist_wheel
from setuptools.command.build_py import build_py

from ._ahead import BUILD_COMMAND


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
        done = subprocess.run(
            [sys.executable, *BUILD_COMMAND, str(package)],
            env=env, capture_output=True, text=True,
        )  # fmt: skip
        if done.returncode != 0:
            print(
                "fastbp: the kernels were not built ahead of time (fits compile them on "
                "first use instead):\n" + done.stderr[-2000:],
                file=sys.stderr,
            )


class PlatformWheel(bdist_wheel):
    """A wheel with machine code in it is this platform's, not any platform's."""

    def finalize_options(self):
        super().finalize_options()
        self.root_is_pure = False
