"""``python -m fastbp``: the command line (:mod:`fastbp._cli`)."""

from ._cli import main

if __name__ == "__main__":
    raise SystemExit(main())
