"""The public Python API: what `import melody` offers, the same tunes as the CLI for a seed, tunes
that show and sound in a notebook with nothing fetched, and bars sampled again."""

from __future__ import annotations

import json
import pydoc
import re

import pytest

import melody
from melody.cli.program import main
from melody.formats.abc.checker import tune_problems
from melody.formats.abc.lexer import tune_tokens
from melody.formats.abc.text import normalize_tune
from melody.sampling.vary import bar_spans
from tests.conftest import FOLK_SAMPLE, needs_abc2midi


def test_help_lists_the_api():
    text = pydoc.render_doc(melody, renderer=pydoc.plaintext)
    for name in ("load", "read", "train", "evaluate", "Tune", "Model", "generate", "vary"):
        assert name in text


@pytest.fixture(scope="module")
def folk():
    return melody.load("folk")


def test_the_cli_and_the_api_write_the_same_tunes_for_a_seed(folk, tmp_path, capsys):
    assert main(["generate", "-n", "2", "--seed", "5", "--type", "jig", "--out", str(tmp_path), "--json"]) == 0
    written = json.loads(capsys.readouterr().out)["pieces"]
    from_cli = [open(item["abc"], encoding="utf-8").read() for item in written]
    assert [tune.abc for tune in folk.generate(2, seed=5, type="jig")] == from_cli


def test_a_tune_shows_its_engraving_and_sound_with_nothing_fetched(folk, tmp_path):
    tunes = folk.generate(2, seed=1, type="reel")
    page = tunes._repr_html_()
    assert page.count("<audio controls") == 2 and page.count('src="data:audio/mpeg;base64,') == 2
    assert page.count('<div class="melody-engraving"') == 2 and page.count("<svg") >= 2  # engraved here: no script
    assert "<script" not in page
    assert len(tunes[0]._repr_html_()) <= 250_000 and len(folk.generate(4, seed=1)._repr_html_()) <= 1_000_000
    assert not re.search(r"""(src|href)=["']?https?:""", page)  # nothing loaded from elsewhere
    tune = tunes[0]
    assert tune.to_midi()[:4] == b"MThd"
    for suffix in (".abc", ".mid", ".wav", ".musicxml"):
        path = tune.save(tmp_path / f"tune{suffix}")
        assert path.stat().st_size > 0
    again = melody.read(tmp_path / "tune.abc")
    assert isinstance(again, melody.Tunes) and tune_tokens(normalize_tune(again[0].abc)[0]) == tune_tokens(
        normalize_tune(tune.abc)[0]
    )


def test_a_midi_piece_shows_a_piano_roll():
    chorale = melody.load("chorales").generate(1, seed=1)[0]
    page = chorale._repr_html_()
    assert "<svg" in page and "<rect" in page and "<audio controls" in page and "<script" not in page


def _bars(abc: str) -> list[list[str]]:
    tokens = tune_tokens(normalize_tune(abc)[0])
    return [tokens[start:end] for start, end in bar_spans(tokens)]


@needs_abc2midi
def test_vary_keeps_every_other_bar_and_leads_into_the_next(folk, tmp_path, capsys):
    from melody.formats.abc.abc2midi import abc2midi_complaints

    tune = folk.generate(1, seed=2, type="reel")[0]
    source = tmp_path / "reel.abc"
    tune.save(source)
    out = tmp_path / "variants"
    assert main(["vary", str(source), "--bars", "5-8", "-n", "3", "--seed", "1", "--out", str(out), "--json"]) == 0
    variants = json.loads(capsys.readouterr().out)["variants"]
    assert len(variants) == 3
    old = _bars(tune.abc)
    for item in variants:
        text = open(item["abc"], encoding="utf-8").read()
        new = _bars(text)
        assert len(new) == len(old) and new[:4] == old[:4] and new[8:] == old[8:] and new[4:8] != old[4:8]
        assert tune_problems(text) == [] and abc2midi_complaints(text) == []
        candidates = item["candidates"]
        assert item["log_likelihood_after"] == max(candidates) >= candidates[len(candidates) // 2]
    # the kept bars are the very text of the input's, written by the same writer
    kept = open(variants[0]["abc"], encoding="utf-8").read().split("\n")
    assert kept[:7] == tune.abc.split("\n")[:7]  # the header and the first line of bars


def test_vary_says_what_is_wrong_in_one_line(tmp_path, capsys):
    assert main(["vary", str(FOLK_SAMPLE), "--bars", "5-999"]) == 1
    assert "--bars 5-999: the tune has bars 1-" in capsys.readouterr().err
    assert main(["vary", str(FOLK_SAMPLE), "--bars", "five"]) == 1
