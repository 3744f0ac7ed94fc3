"""The last tells of a tune (issue 35): its register cued after the header, learned and kept by the
sampler's mask; a part's closing tonic held as long as the corpus holds it."""

import random
from fractions import Fraction

import pytest

from melody.formats.abc.form import draw_last_units, form_table, last_notes, tune_form, with_part_cues
from melody.formats.abc.lexer import token_kind, tune_tokens
from melody.formats.abc.player import player_notes
from melody.formats.abc.register import register, with_register_cues
from melody.formats.abc.state import check_tokens
from melody.formats.abc.syntax import CUE_KINDS, HIGH_CUE, LOW_CUE
from melody.formats.abc.text import normalize_tune, read_abc_file
from melody.music.theory import meter_fraction
from melody.music.tunes import parse_form
from melody.sampling.abc_mask import Constraint
from melody.sampling.register_mask import SLACK
from melody.sampling.tune_rules import StrictTune, strict_problems
from melody.tokenizers import make_tokenizer, tokenizer_from_dict
from tests.conftest import FOLK_SAMPLE
from tests.test_form import REEL, _random_walk


def plain(tokens: list[str]) -> list[str]:
    return [t for t in tokens if token_kind(t) not in CUE_KINDS]


def test_the_register_cues_follow_the_header_and_name_the_notes_the_tune_sounds():
    """Grace notes count, as abc2midi plays them."""
    tunes, _ = read_abc_file(FOLK_SAMPLE)
    for tune in tunes:
        tokens = tune_tokens(tune.text)
        cued = with_register_cues(with_part_cues(tokens))
        header = sum(token_kind(t) == "header" for t in tokens)
        low, high = cued[header : header + 2]
        pitches = [pitch for _, pitch in player_notes(tune.text)]  # our player leaves grace notes out
        lowest, highest = int(low[len(LOW_CUE) :]), int(high[len(HIGH_CUE) :])
        assert lowest <= min(pitches) and max(pitches) <= highest and (lowest, highest) == register(tokens)
        if "{" not in tokens:
            assert (lowest, highest) == (min(pitches), max(pitches))
        assert plain(cued) == tokens and check_tokens(cued) == check_tokens(tokens)
        assert tune_form(cued) == tune_form(tokens)


def test_a_new_abc_tokenizer_learns_registers_and_an_old_model_file_reads_without_them():
    tunes, _ = read_abc_file(FOLK_SAMPLE)
    text = normalize_tune(REEL)[0]
    tokenizer = make_tokenizer("abc").fit([tune.text for tune in tunes] + [text])
    assert any(t.startswith(LOW_CUE) for t in tokenizer.vocab) and any(t.startswith(HIGH_CUE) for t in tokenizer.vocab)
    decoded = tokenizer.decode(tokenizer.encode(text))
    assert "%" not in decoded and tune_tokens(decoded) == tune_tokens(text)
    again = tokenizer_from_dict(tokenizer.to_dict())
    assert again.registers and again.encode(text) == tokenizer.encode(text)
    old = tokenizer_from_dict({"name": "abc", "vocab": tokenizer.vocab, "settings": {"cues": True}})
    assert old.cues and not old.registers
    before = [t for t in tokenizer.vocab if token_kind(t) != "register"]  # a model file from before registers
    assert not Constraint(before).register.learned and Constraint(tokenizer.vocab).register.learned


@pytest.fixture(scope="module")
def vocab() -> list[str]:
    tunes, _ = read_abc_file(FOLK_SAMPLE)
    return make_tokenizer("abc").fit([tune.text for tune in tunes] + [normalize_tune(REEL)[0]]).vocab


def walk(vocab: list[str], plan, seed: int) -> list[str] | None:
    """A tune the mask allows, each token drawn at random (test_form's walk); None at a dead end."""
    return _random_walk(vocab, StrictTune(form=plan), seed)


def test_the_mask_asks_for_a_register_after_the_header_and_keeps_the_notes_within_it(vocab):
    plan, kept = parse_form("AABB", part_bars=4), 0
    for seed in range(12):
        tokens = walk(vocab, plan, seed)
        if not tokens:
            continue
        header = sum(token_kind(t) == "header" for t in tokens)
        low, high = tokens[header : header + 2]
        assert low.startswith(LOW_CUE) and high.startswith(HIGH_CUE)
        low, high = int(low[len(LOW_CUE) :]), int(high[len(HIGH_CUE) :])
        found = register(plain(tokens))
        assert low - SLACK <= found[0] and found[1] <= high + SLACK, (low, high, found)
        kept += 1
    assert kept >= 6


def test_a_part_holds_its_closing_tonic_as_long_as_the_plan_asks(vocab):
    """Parts that do not repeat: a repeated part's last bar is short by the anacrusis it goes back to."""
    plan, seen = parse_form("AB", part_bars=4), 0
    for hold in (Fraction(2), Fraction(3)):
        held = plan.__class__(plan.sections, plan.part_bars, True, False, hold)
        for seed in range(16):
            tokens = walk(vocab, held, seed)
            if not tokens:
                continue
            music = plain(tokens)
            field = {t[0]: t[2:] for t in music if token_kind(t) == "header"}
            bar = meter_fraction(field["M"]) / Fraction(field["L"])  # a bar, in units: the hold at most
            assert len(last_notes(music)) == 2 and all(length >= min(hold, bar) for length in last_notes(music))
            assert tune_form(music).final_tonic and strict_problems(music) == []
            seen += 1
    assert seen >= 12  # a random walk meets dead ends too (as often with a unit's hold)


def test_the_corpus_says_how_long_its_parts_hold_their_last_note_and_old_tables_draw_nothing():
    tokens = tune_tokens(normalize_tune(REEL)[0])
    assert last_notes(tokens) == [1, 2, 2]  # E2D:|, then both endings' E2D2
    table = form_table([tokens])
    assert table["reel"]["last_notes"] == [["1", 1], ["2", 2]]
    assert {draw_last_units(table["reel"], random.Random(seed)) for seed in range(20)} == {1, 2}
    before = random.Random(1)
    assert draw_last_units({"plans": []}, before) == 1 and before.random() == random.Random(1).random()
