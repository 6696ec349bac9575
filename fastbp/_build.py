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

# fastbp._ahead.BUILD_COMMAND: setuptools loads this file on its own, before fastbp
# can be imported.
_BUILD = ("-c", "import sys; from fastbp._ahead import build; build(sys.argv[1])")


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
            [sys.executable, *_BUILD, str(package)],
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
