"""The lab kit: what every lab's tests use to build inputs, grade learner code and name known mistakes.

- `assert_close`, `assert_count`, `assert_ratio`, `require`: comparisons whose failure messages teach, naming the known
  mistake an answer matches ("This looks like ...");
- `seeded`, `seeded_many`, `seeded_ints`, `generator`: inputs drawn on the CPU from a seed, then moved;
- `ScoreMatrixGuard`: proof that no full score matrix (or mask) was ever held;
- `time_limit`: "this must be a formula" checks;
- `reference`, `ForbiddenCallError`: the forbidden-call guard and the block where tests may use those calls.
"""

from labs.grading.compare import (
    Mistakes,
    assert_close,
    assert_count,
    assert_ratio,
    describe_mismatch,
    looks_like,
    mistake_table,
    require,
)
from labs.grading.forbid import ForbiddenCallError, reference
from labs.grading.inputs import generator, seeded, seeded_ints, seeded_many
from labs.grading.limits import TimeLimitExceeded, time_limit
from labs.grading.memory import ScoreMatrixGuard

__all__ = [
    "ForbiddenCallError",
    "Mistakes",
    "ScoreMatrixGuard",
    "TimeLimitExceeded",
    "assert_close",
    "assert_count",
    "assert_ratio",
    "describe_mismatch",
    "generator",
    "looks_like",
    "mistake_table",
    "require",
    "reference",
    "seeded",
    "seeded_ints",
    "seeded_many",
    "time_limit",
]
