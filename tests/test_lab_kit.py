"""The lab kit (labs.grading): seeded inputs, comparisons that name mistakes, the score-matrix guard, time limits."""

from __future__ import annotations

import signal
import time

import pytest
import torch

from labs.grading import (
    ScoreMatrixGuard,
    TimeLimitExceeded,
    assert_close,
    assert_count,
    assert_ratio,
    require,
    seeded,
    seeded_ints,
    seeded_many,
    time_limit,
)


def test_seeded_is_the_same_for_the_same_seed_and_differs_across_seeds() -> None:
    a, b, c = seeded((3, 4), 1), seeded((3, 4), 1), seeded((3, 4), 2)
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert seeded((2,), 0, dtype=torch.float64).dtype == torch.float64
    assert torch.equal(seeded((5,), 3, scale=2.0), 2 * seeded((5,), 3))


def test_seeded_many_draws_one_stream() -> None:
    first, second = seeded_many([(4,), (4,)], 7)
    g = torch.Generator().manual_seed(7)
    assert torch.equal(first, torch.randn(4, generator=g)) and torch.equal(second, torch.randn(4, generator=g))


def test_seeded_ints_stay_in_range() -> None:
    ids = seeded_ints((100,), 5, seed=0, low=2)
    assert ids.dtype == torch.long and int(ids.min()) >= 2 and int(ids.max()) < 5


def test_assert_close_names_the_matching_mistake() -> None:
    x = torch.ones(3)
    with pytest.raises(AssertionError, match="This looks like doubling it."):
        assert_close(2 * x, x, name="out", mistakes={"negating it": -x, "doubling it": 2 * x})


def test_mistakes_given_as_a_function_are_built_only_on_failure() -> None:
    calls = []

    def build() -> dict[str, torch.Tensor]:
        calls.append(1)
        return {"doubling it": 2 * torch.ones(3)}

    assert_close(torch.ones(3), torch.ones(3), name="out", mistakes=build)
    assert calls == []
    with pytest.raises(AssertionError, match="looks like doubling it"):
        assert_close(2 * torch.ones(3), torch.ones(3), name="out", mistakes=build)
    assert calls == [1]


@pytest.mark.parametrize("got", [torch.tensor(6), 6.0, True, "6"])
def test_assert_count_wants_a_python_int(got: object) -> None:
    with pytest.raises(AssertionError, match="return a Python int"):
        assert_count(got, 6, name="n")


def test_assert_count_names_the_mistake() -> None:
    assert_count(6, 6, name="n")
    with pytest.raises(AssertionError, match=r"n returned 3, expected 6\nThis looks like half of it."):
        assert_count(3, 6, name="n", mistakes={"half of it": 3})


def test_assert_ratio() -> None:
    assert_ratio(0.5, 0.5 + 1e-12, name="r")
    with pytest.raises(AssertionError, match="return a Python float"):
        assert_ratio(torch.tensor(0.5), 0.5, name="r")
    with pytest.raises(AssertionError, match="This looks like the inverse"):
        assert_ratio(2.0, 0.5, name="r", mistakes={"the inverse": 2.0})


def test_score_matrix_guard_catches_a_full_matrix_and_passes_a_band() -> None:
    T = 64
    q = seeded((1, T, 4), 0)
    with ScoreMatrixGuard(T, T) as guard:
        (q @ q.transpose(-2, -1)).softmax(-1)
    with pytest.raises(AssertionError, match=r"full 64 x 64 score matrix of shape \[1, 64, 64\].*use a band"):
        guard.check("use a band")
    with ScoreMatrixGuard(T, T) as band:
        blocks = q.view(1, 8, 8, 4)
        (blocks @ blocks.transpose(-2, -1)).softmax(-1)  # [1, 8, 8, 8]: 8 x 8 per block
    band.check("never raised")
    with ScoreMatrixGuard(T, T) as mask_guard:
        torch.ones(T * T, dtype=torch.bool)
    with pytest.raises(AssertionError, match="mask"):
        mask_guard.check("")


def test_time_limit_stops_a_slow_block() -> None:
    start = time.monotonic()
    with pytest.raises(TimeLimitExceeded, match="use a formula"), time_limit(0.2, "use a formula"):
        while True:
            pass
    assert time.monotonic() - start < 2


def test_time_limit_restores_an_outer_timer() -> None:
    fired = []
    previous = signal.signal(signal.SIGALRM, lambda *_: fired.append(1))
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.6)
        with time_limit(5, "inner"):
            time.sleep(0.1)
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 0.2 < left < 0.55, left
        time.sleep(0.7)
        assert fired == [1]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_require_fails_with_exactly_the_message() -> None:
    require(True, "never shown")
    with pytest.raises(AssertionError) as failure:
        require(0, "seq_len is 12, expected 4")
    assert str(failure.value) == "seq_len is 12, expected 4"
