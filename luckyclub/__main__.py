"""Entry point for `python -m luckyclub`."""

import sys

from luckyclub.cli import main

sys.exit(main())
