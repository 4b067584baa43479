"""``python -m course_utils.grade``: the instructor's grader (lives in :mod:`course_utils.grading`)."""

import sys

from .grading.grade import main

if __name__ == "__main__":
    sys.exit(main())
