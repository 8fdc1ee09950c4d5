"""What lab tests use to grade learner code: tolerant comparisons that teach, and forbidden-call guards."""

from labs.grading.compare import assert_close, describe_mismatch
from labs.grading.forbid import ForbiddenCallError, reference

__all__ = ["ForbiddenCallError", "assert_close", "describe_mismatch", "reference"]
