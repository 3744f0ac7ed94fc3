"""Training on what users bring: a one-tune corpus, a folder of MIDI files with a chord track and a
pickup, a second run into a used folder; and models trained with each tokenizer generate without
a traceback."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from melody.cli.program import main
from melody.formats.abc.lexer import tune_tokens
from melody.formats.abc.player import tokens_to_score
from melody.formats.abc.text import read_abc_file
from melody.formats.midi import score_to_midi_bytes
from melody.music.score import Note
from tests.conftest import DATA, FOLK_SAMPLE, TINY_TRAIN_FLAGS

ONE_TUNE = "X:1\nT:One\nM:4/4\nL:1/8\nK:G\nGABc dedB|dBAG A4|GABc dedB|A2F2 G4|]\n"


def _train(args: list[str], capsys) -> dict:
    assert main(["train", *args, *TINY_TRAIN_FLAGS, "--hidden-size", "16", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_a_one_tune_corpus_trains_and_stops_at_its_limit(tmp_path, capsys):
    (tmp_path / "one.abc").write_text(ONE_TUNE)
    result = _train([str(tmp_path / "one.abc"), "--out", str(tmp_path / "run"), "--max-steps", "5"], capsys)
    assert result["steps"] == 5
    assert result["corpus"]["tokenizer"] == "abc"  # --tokenizer auto: an ABC corpus gets abc tokens


def test_a_second_train_into_a_used_folder_is_refused_unless_resumed_or_forced(tmp_path, capsys):
    (tmp_path / "one.abc").write_text(ONE_TUNE)
    run = str(tmp_path / "run")
    _train([str(tmp_path / "one.abc"), "--out", run, "--max-steps", "3"], capsys)
    assert main(["train", str(tmp_path / "one.abc"), "--out", run, "--max-steps", "3"]) == 1
    assert "already holds a trained run" in capsys.readouterr().err
    resumed = _train(["--resume", run, "--max-steps", "6"], capsys)  # the run's own corpus
    assert resumed["steps"] == 6
    forced = _train([str(tmp_path / "one.abc"), "--out", run, "--max-steps", "2", "--force"], capsys)
    steps = [json.loads(line)["step"] for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert forced["steps"] == 2 and steps == sorted(steps)


@pytest.fixture(scope="module")
def midi_folk_folder(tmp_path_factory):
    """Folk tunes as MIDI files the way collections hold them: a melody and a chord track, played
    out from the first note, pickup included."""
    folder = tmp_path_factory.mktemp("midi_folk")
    for number, tune in enumerate(read_abc_file(FOLK_SAMPLE)[0][:12]):
        melody = tokens_to_score(tune_tokens(tune.text))
        chords = tuple(Note(n.start, n.end, n.pitch - 24, voice=1) for n in melody.notes[::3])
        score = replace(melody, notes=melody.notes + chords, programs=(73, 0))
        (folder / f"tune{number}.mid").write_bytes(score_to_midi_bytes(score))
    return folder


def test_a_midi_folder_trains_with_the_defaults(midi_folk_folder, tmp_path, capsys):
    result = _train([str(midi_folk_folder), "--out", str(tmp_path / "run"), "--max-steps", "3"], capsys)
    assert result["corpus"]["tokenizer"] == "midi" and result["corpus"]["pieces"] == 12


def test_a_midi_folder_gives_an_abc_model_each_tune_melody_with_its_pickup(midi_folk_folder, tmp_path, capsys):
    result = _train(
        [str(midi_folk_folder), "--tokenizer", "abc", "--out", str(tmp_path / "run"), "--max-steps", "3"], capsys
    )
    corpus = result["corpus"]
    assert corpus["pieces"] == 12 and corpus["unclean"] <= 1  # every bar full, pickups kept


@pytest.mark.slow
@pytest.mark.parametrize("tokenizer", ["char", "abc", "midi"])
def test_models_of_every_tokenizer_generate_without_a_traceback(tokenizer, tmp_path, capsys):
    corpus = str(DATA / "bwv66.6.mid") if tokenizer == "midi" else str(FOLK_SAMPLE)
    run = str(tmp_path / "run")
    _train([corpus, "--tokenizer", tokenizer, "--out", run, "--max-steps", "20"], capsys)
    for seed in range(1, 4):
        code = main(["generate", "--model", run, "-n", "16", "--seed", str(seed), "--out", str(tmp_path / "out")])
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err
        lines = [line for line in captured.err.splitlines() if line.strip()]
        assert code == 0 or (code == 1 and len(lines) == 1 and "error:" in lines[0]), captured.err


def test_a_moved_corpus_folder_reuses_its_cache_and_is_recorded_where_it_is_now(tmp_path, capsys):
    import shutil

    first = tmp_path / "first" / "my_tunes"
    first.mkdir(parents=True)
    (first / "one.abc").write_text(ONE_TUNE)
    (first / "broken.mid").write_bytes(b"MThd not really")
    cold = _train([str(first), "--out", str(tmp_path / "run1"), "--max-steps", "2"], capsys)
    assert cold["corpus"]["cached"] is False
    moved = tmp_path / "second" / "my_tunes"
    shutil.move(str(first.parent), str(moved.parent))
    warm = _train([str(moved), "--out", str(tmp_path / "run2"), "--max-steps", "2"], capsys)
    assert warm["corpus"]["cached"] is True
    assert warm["corpus"]["arguments"] == [str(moved.resolve())]
    from melody.training.data import prepare_corpus

    summary = prepare_corpus([str(moved)], "auto").summary
    assert summary["cached"] and [f["file"] for f in summary["failed_files"]] == [str(moved.resolve() / "broken.mid")]
    written = [path.read_bytes() for path in (tmp_path / "run2").iterdir()]
    assert any(str(moved.resolve()).encode() in data for data in written)
    assert not any(str(first).encode() in data for data in written)
    resumed = _train(["--resume", str(tmp_path / "run2"), "--max-steps", "3"], capsys)  # reads the new place
    assert resumed["steps"] == 3


def test_a_folder_holding_each_song_twice_trains_on_each_once_and_says_so(tmp_path, capsys):
    import shutil

    for name in ("bwv66.6", "bwv1.6", "bwv10.7"):
        shutil.copy(DATA / f"{name}.mid", tmp_path / f"{name}.mid")
        shutil.copy(DATA / f"{name}.mid", tmp_path / f"copy of {name}.mid")
    assert main(["corpus", str(tmp_path)]) == 0
    assert "left out 3 duplicates" in capsys.readouterr().err
    result = _train([str(tmp_path), "--out", str(tmp_path / "run"), "--max-steps", "2"], capsys)
    assert result["corpus"]["pieces"] == 3 and result["corpus"]["duplicates"] == 3
    assert {d["file"].split("/")[-1] for d in result["corpus"]["duplicate_files"]} == {
        "copy of bwv66.6.mid",
        "copy of bwv1.6.mid",
        "copy of bwv10.7.mid",
    }
