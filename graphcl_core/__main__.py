"""``python -m graphcl_core``: see :mod:`graphcl_core.cli`."""

import sys

from .cli import main

sys.exit(main())
