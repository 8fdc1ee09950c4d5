"""The small trained TinyGPT of data/tinygpt/: it loads safely, it has learned, and data/ is found as the app finds it."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from labs.reference import TinyGPT
from labs.reference import pretrained
from trainer import paths

RANDOM_GUESS = math.log(256)  # nats per byte of a model that has learned nothing


def test_checkpoint_loads_with_weights_only() -> None:
    checkpoint = torch.load(pretrained.checkpoint_path(), map_location="cpu", weights_only=True)
    assert set(checkpoint) == {"config", "state_dict", "meta"}
    assert checkpoint["config"]["vocab_size"] == pretrained.VOCAB_SIZE
    assert pretrained.checkpoint_path().stat().st_size < 8 * 2**20, "keep the checkpoint small (a few MB)"


def test_trained_model_predicts_held_out_text_far_better_than_chance() -> None:
    model = pretrained.load_pretrained()
    assert isinstance(model, TinyGPT) and not model.training
    assert next(model.parameters()).dtype == torch.float32
    loss = pretrained.mean_loss(model, pretrained.heldout_tokens(), model.config.max_seq_len, max_windows=32)
    assert loss < 2.2, f"held-out loss {loss:.3f} nats/byte: the checkpoint has not learned (chance is {RANDOM_GUESS:.2f})"


def test_held_out_text_is_the_corpus_tail_and_never_trained_on() -> None:
    train, heldout = pretrained.corpus_split()
    whole = pretrained.encode(pretrained.corpus_path().read_text(encoding="utf-8"))
    assert torch.equal(torch.cat([train, heldout]), whole)
    assert 0.09 < len(heldout) / len(whole) < 0.11


def test_encode_decode_round_trip() -> None:
    text = "KV 缓存: seq_len grows."
    assert pretrained.decode(pretrained.encode(text)) == text
    assert int(pretrained.encode(text).max()) < pretrained.VOCAB_SIZE


def test_mean_loss_needs_one_window() -> None:
    with pytest.raises(ValueError, match="too few"):
        pretrained.mean_loss(pretrained.load_pretrained(), torch.zeros(10, dtype=torch.long), 128)


def test_labs_and_the_app_find_data_the_same_way(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert pretrained.data_dir().resolve() == paths.data_dir() == paths.DATA_DIR
    monkeypatch.setenv("TRAINER_DATA", str(tmp_path))
    assert pretrained.data_dir().resolve() == paths.data_dir() == tmp_path.resolve()


@pytest.mark.parametrize("name", ["cards", "labs", "data"])
def test_each_content_folder_follows_its_variable(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert paths.content_dir(name) == paths.PROJECT_ROOT / name
    monkeypatch.setenv(f"TRAINER_{name.upper()}", str(tmp_path))
    assert paths.content_dir(name) == tmp_path.resolve()
