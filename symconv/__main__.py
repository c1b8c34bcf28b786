"""``python -m symconv``: the ``symconv`` command, for when its script is not on ``PATH``."""

import sys

from symconv.cli.app import main

if __name__ == "__main__":
    sys.exit(main())
