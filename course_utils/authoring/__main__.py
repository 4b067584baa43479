"""``python -m course_utils.authoring``: make-exercises, check-exercises, execute."""

import sys

from .notebooks import main

sys.exit(main())
