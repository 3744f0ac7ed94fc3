"""The MIDI path end to end: scores in a corpus folder, event tokens, augmentation, a model of
events that writes .mid and .abc, primed by a MIDI file."""

import json
import shutil

import numpy as np
import pretty_midi
import pytest

from melody.cli.program import main
from melody.formats.abc.text import abc_to_stream
from melody.formats.corpus import load_corpus
from melody.formats.midi import midi_to_score
from melody.tokenizers.events import EventTokenizer
from melody.training.data import prepare_corpus
from tests.conftest import DATA, FOLK_SAMPLE, abc2midi_errors, needs_abc2midi

CHORALES = ["bwv66.6", "bwv1.6", "bwv10.7"]


@pytest.fixture()
def midi_folder(tmp_path):
    folder = tmp_path / "midi"
    (folder / "sub").mkdir(parents=True)
    for name in CHORALES:
        shutil.copy(DATA / f"{name}.mid", folder / "sub" / f"{name}.mid")
    (folder / "broken.mid").write_bytes((DATA / "bwv66.6.mid").read_bytes()[:90])
    return folder


def test_a_corrupt_midi_file_is_skipped_and_counted(midi_folder):
    corpus = load_corpus([str(midi_folder)], kind="score")
    assert len(corpus.pieces) == 3
    assert [f for f, _ in corpus.failed_files] == [str(midi_folder / "broken.mid")]


def test_midi_files_become_abc_for_text_models_and_abc_becomes_scores(midi_folder, tmp_path):
    as_text = load_corpus([str(midi_folder)], kind="abc")
    # a text model learns one line of music: the melody (here the soprano), not four V: blocks
    assert len(as_text.pieces) == 3 and all(p.startswith("T:") and "\nV:" not in p for p in as_text.pieces)
    small = tmp_path / "small.abc"
    small.write_text("\n".join(FOLK_SAMPLE.read_text().split("\n")[:60]))
    as_scores = load_corpus([str(small)], kind="score")
    assert len(as_scores.pieces) >= 2 and all(len(s.notes) > 10 for s in as_scores.pieces)


def test_transposition_moves_each_piece_as_a_whole_and_stays_in_range():
    tokenizer = EventTokenizer()
    scores = [midi_to_score(DATA / f"{n}.mid") for n in CHORALES]
    pieces = [tokenizer.encode(s) for s in scores]
    flat = np.concatenate(pieces)
    offsets = np.concatenate([[0], np.cumsum([len(p) for p in pieces])])
    moved = tokenizer.transpose(flat, offsets, 5, seed=3)
    assert moved.shape == flat.shape
    shifts = set()
    for i, score in enumerate(scores):
        back = tokenizer.decode(moved[offsets[i] : offsets[i + 1]].tolist())
        deltas = {b.pitch - a.pitch for a, b in zip(tokenizer.prepare(score).notes, back.notes)}
        assert len(deltas) == 1 and -5 <= deltas.pop() <= 5
        shifts.add(back.notes[0].pitch - score.notes[0].pitch)
    assert len(shifts) > 1
    high = [tokenizer.encode(s) for s in [midi_to_score(DATA / "bwv66.6.mid").transpose(127 - 81)]]
    same = tokenizer.transpose(np.array(high[0]), np.array([0, len(high[0])]), 12, seed=0)
    assert max(tokenizer.pitch_of[same]) <= 127


@pytest.mark.slow
def test_train_and_generate_with_a_midi_model(midi_folder, tmp_path, capsys):
    run, out = tmp_path / "run", tmp_path / "out"
    argv = [
        "train",
        str(midi_folder),
        "--tokenizer",
        "midi",
        "--transpose",
        "2",
        "--out",
        str(run),
        "--max-steps",
        "30",
        "--hidden-size",
        "48",
        "--embed-dim",
        "16",
        "--batch-size",
        "4",
        "--seq-len",
        "64",
        "--lr",
        "0.01",
        "--warmup-steps",
        "5",
        "--json",
    ]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["steps"] == 30
    primer = DATA / "bwv66.6.mid"
    assert (
        main(
            [
                "generate",
                "--model",
                str(run),
                "-n",
                "2",
                "--seed",
                "4",
                "--out",
                str(out),
                "--primer-file",
                str(primer),
                "--max-tokens",
                "900",
                "--json",
            ]
        )
        == 0
    )
    pieces = json.loads(capsys.readouterr().out)["pieces"]
    first_notes = [n.pitch for n in midi_to_score(primer).notes[:8]]
    for piece in pieces:
        midi = pretty_midi.PrettyMIDI(piece["midi"])
        assert sum(len(i.notes) for i in midi.instruments) >= 16
        assert [n.pitch for n in midi_to_score(piece["midi"]).notes[:8]] == first_notes
        assert len(abc_to_stream(open(piece["abc"]).read()).flatten().notes) >= 16


@needs_abc2midi
def test_abc2midi_accepts_chorales_written_in_every_key(tmp_path):
    from melody.formats.abc.writer import score_to_abc

    score = midi_to_score(DATA / "bwv10.7.mid")
    errors = {}
    for shift in range(-6, 6):
        moved = score.transpose(shift)
        path = tmp_path / f"{shift}.abc"
        path.write_text(score_to_abc(moved))
        errors[shift] = abc2midi_errors(path, tmp_path)
    assert {k: e for k, e in errors.items() if e} == {}


def test_prepare_corpus_caches_scores_like_text(midi_folder):
    first = prepare_corpus([str(midi_folder)], "midi", val_fraction=0.0)
    second = prepare_corpus([str(midi_folder)], "midi", val_fraction=0.0)
    assert not first.summary["cached"] and second.summary["cached"]
    assert np.array_equal(first.train, second.train) and first.summary["failed_files"]


def test_a_primer_file_is_read_as_its_model_continues_it(tmp_path):
    """An ABC model takes an .abc primer as written (typed text after it) and a MIDI file as ABC; a
    model of scores takes either as a score."""
    import melody

    folk, chorales = melody.load("folk"), melody.load("chorales")
    written = tmp_path / "primer.abc"
    written.write_text("X:1\nT:Primer\nM:4/4\nL:1/8\nK:G\nGABc d2B2|\n", encoding="utf-8")
    text, score = folk.primer_from_file(written, "c2")
    assert score is None and text.startswith("X:1\nT:Primer") and text.endswith("d2B2|\nc2")
    text, score = folk.primer_from_file(DATA / "bwv66.6.mid")
    assert score is None and "K:" in text and abc_to_stream(text) is not None
    nothing, score = chorales.primer_from_file(written)
    assert nothing is None and [n.pitch for n in score.notes[:4]] == [67, 69, 71, 72]
    nothing, score = chorales.primer_from_file(DATA / "bwv66.6.mid")
    assert nothing is None and score.notes == midi_to_score(DATA / "bwv66.6.mid").notes
