"""A stopped training's summary agrees with the progress line beside it."""

from __future__ import annotations

from cnnviz.train.job import Progress
from cnnviz.ui.train.live import progress_text, stopped_words


def _p(epoch: int, iteration: int) -> Progress:
    return Progress(epoch, 3, iteration, 3 * 141, 141, 0.0, 12.0, None)


def test_stopped_at_the_last_mini_batch_of_epoch_2_is_not_just_1_epoch_finished():
    p = _p(2, 282)  # the progress line reads "Epoch 2/3 · ... (mini-batch 141/141 ...)"
    assert "Epoch 2/3" in progress_text(p, live=False)[1]
    assert "mini-batch 141/141" in progress_text(p, live=False)[1]
    words = stopped_words(1, p)
    assert words == (
        "1 of 3 epochs finished; epoch 2 trained all 141 mini-batches but stopped before its "
        "validation"
    )


def test_stopped_within_an_epoch_names_the_mini_batch_and_a_whole_epoch_says_only_that():
    assert stopped_words(1, _p(2, 141 + 50)).endswith("epoch 2 stopped at mini-batch 50/141")
    assert stopped_words(2, _p(2, 282)) == "2 of 3 epochs finished"
