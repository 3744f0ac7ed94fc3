"""What a newcomer reads in their first hour says what is meant: counts in their own units, the file
that failed, the limits asked for, a hint for a mistyped name, and no option ignored silently."""

from __future__ import annotations

import json

import pytest

from melody.cli.program import main
from melody.errors import ConfigError
from tests.conftest import DATA, TINY_TRAIN_FLAGS


def test_a_folder_of_only_a_corrupt_midi_file_names_it(tmp_path, capsys):
    (tmp_path / "broken.mid").write_bytes(b"MThd not a song")
    assert main(["train", str(tmp_path), "--max-steps", "1", "--out", str(tmp_path / "run")]) == 1
    err = capsys.readouterr().err
    assert "no usable pieces" in err and "broken.mid" in err and len(err.strip().splitlines()) == 1


def test_what_readers_left_out_is_counted_in_its_own_unit():
    from melody.cli.commands import _left_out
    from melody.training.data import OFF_GRID

    assert _left_out("zero-length notes", 17) == "17 zero-length notes"
    assert _left_out("no K: field", 1) == "1 piece (no K: field)"
    assert _left_out(OFF_GRID, 3).startswith("3 files played freely")


def test_mistyped_model_and_corpus_names_get_a_suggestion(capsys):
    assert main(["generate", "--model", "foll"]) == 1
    assert "did you mean folk?" in capsys.readouterr().err
    assert main(["train", "chorals", "--max-steps", "1"]) == 1
    assert "did you mean chorales?" in capsys.readouterr().err


def test_a_key_asked_of_an_event_model_opens_its_pieces_and_a_performance_model_refuses_it():
    from melody.network.checkpoint import load_model
    from melody.sampling.config import SampleConfig
    from melody.sampling.plans import primer_plan
    from melody.sampling.sampler import sample_ids
    from melody.tokenizers import make_tokenizer

    model = load_model("chorales")
    vocab = model.tokenizer.vocab
    for seed in range(4):
        for ids in sample_ids(model, SampleConfig(count=3, key="Em", seed=seed, max_tokens=6)):
            assert [vocab[i].split("_")[0] for i in ids[:3]] == ["METER", "TEMPO", "KEY"]  # the header, in order
            assert vocab[ids[2]] == "KEY_4_minor"
    with pytest.raises(ConfigError, match="carry no key"):
        primer_plan(SampleConfig(key="G"), make_tokenizer("performance"))


def test_a_chorale_is_titled_in_the_key_its_header_declares(tmp_path, capsys):
    assert main(["generate", "--model", "chorales", "-n", "3", "--seed", "3", "--out", str(tmp_path), "--json"]) == 0
    for piece in json.loads(capsys.readouterr().out)["pieces"]:
        assert piece["title"].endswith(f" in {piece['key']}")


def test_a_resumed_run_echoes_the_minutes_asked_for(tmp_path, capsys):
    from melody.cli.console import _epoch_estimate

    line = _epoch_estimate({"steps_per_epoch": 10, "tokens_per_step": 100, "max_minutes": 1.0}, 1.0)
    assert "--max-minutes 1 covers" in line and "not every piece will be seen" in line
    run = tmp_path / "run"
    args = [str(DATA / "bwv66.6.mid"), *TINY_TRAIN_FLAGS, "--hidden-size", "16"]
    assert main(["train", *args, "--out", str(run), "--max-steps", "2"]) == 0
    from melody.training.data import prepare_corpus
    from melody.training.runs import resume_run

    events = []
    trainer = resume_run(prepare_corpus([str(DATA / "bwv66.6.mid")], "auto"), run, events.append, max_minutes=1.0)
    trainer.elapsed = 42.0  # as if the first session had trained 42 s (0.7 min)
    trainer.config = type(trainer.config)(**{**trainer.config.to_dict(), "max_minutes": 1.0 + 0.7, "max_steps": 3})
    trainer.run()
    start = next(e for e in events if e["kind"] == "start")
    assert start["max_minutes"] == 1.0


def test_a_voice_is_named_after_a_track_name_only_when_the_corpus_shares_it():
    from melody.music.score import Note, Score
    from melody.training.statistics import voice_layout

    def piece(name: str, shift: int) -> Score:
        return Score(tuple(Note(i, i + 1, 60 + (i + shift) % 12) for i in range(16)), names=(name,))

    performances = voice_layout([piece(f"07/0{i}  1~3", i) for i in range(8)])  # each file names its own
    songs = voice_layout([piece("Lead Vox", i) for i in range(8)])
    assert performances["layout"][0]["name"] == performances["layout"][0]["role"]
    assert songs["layout"][0]["name"] == "Lead Vox"
