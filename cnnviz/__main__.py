"""``python -m cnnviz``: the same as the ``cnnviz`` command (see cnnviz/cli/main.py)."""

import sys

from cnnviz.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
