"""``python -m hingeclf``: the same as the ``hingeclf`` command."""

import sys

from hingeclf.cli import main

if __name__ == "__main__":
    sys.exit(main())
