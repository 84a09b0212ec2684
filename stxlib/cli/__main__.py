"""`python -m stxlib.cli ...`: the same as the `stx` console script."""

import sys

from stxlib.cli import main

sys.exit(main())
