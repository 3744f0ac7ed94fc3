"""Form: parts counted as a musician counts them, tune types as header tokens, and sampling that
writes the asked form, every part of the asked length, closing on the tonic."""

import random

import numpy as np
import pytest

from melody.errors import ConfigError
from melody.formats.abc.form import form_problems, tune_form
from melody.formats.abc.lexer import tune_tokens
from melody.formats.abc.text import normalize_tune, read_abc_file
from melody.music.tunes import default_plan, normalize_type, parse_form
from melody.network.checkpoint import Model
from melody.network.model import ModelConfig, SequenceModel
from melody.sampling.abc_mask import Constraint
from melody.sampling.pieces import sample
from melody.sampling.sampler import SampleConfig
from melody.sampling.tune_rules import StrictTune, strict_problems
from melody.tokenizers.abc_tokens import AbcTokenizer
from tests.conftest import FOLK_SAMPLE

REEL = """X:1
T:The Test Reel
R:Reel
M:4/4
L:1/8
K:D
A|:d2fd AdFA|d2fd e2ce|d2fd AdFA|Bcde f2ec|
d2fd AdFA|d2fd e2ce|dcde fedc|BAGF E2D:|
|:fgaf gefd|e2ce gece|fgaf gefd|ecdB A2AB|
fgaf gefd|e2ce gece|[1 dcde fedc|BAGF E2D2:|[2 dcde fedc|BAGF E2D2|]
"""


def form_of(text: str):
    canonical, _ = normalize_tune(text)
    return tune_form(tune_tokens(canonical))


def test_parts_merge_the_anacrusis_and_count_a_second_ending_once():
    form = form_of(REEL)
    assert form.parts == (8, 8) and form.repeated == (True, True) and form.name == "AABB"
    assert form.played_bars == 32 and form.whole_phrases and form.whole_8_bar_phrases
    assert form.final_tonic  # D in D major


def test_a_song_without_repeats_is_one_part_and_its_last_note_is_judged():
    song = "X:2\nT:Song\nM:3/4\nL:1/4\nK:Ador\nE|A2B|c2B|A2G|E2E|A2B|c2d|e2d|c2B|A2G|E2G|A3|A2|]\n"
    form = form_of(song)
    assert form.name == "A" and form.parts == (12,) and form.final_tonic  # A, the final of A dorian
    assert form_of(song.replace("A2|]", "B2|]")).final_tonic is False


@pytest.mark.parametrize("spelling, expected", [("Slip-Jig", "slip jig"), ("reels", "reel"), ("Double Jig", "jig")])
def test_type_spellings_become_one_token(spelling, expected):
    assert normalize_type(spelling) == expected
    text, _ = normalize_tune(REEL.replace("R:Reel", f"R:{spelling}"))
    assert tune_tokens(text)[:2] == [f"R:{expected}", "M:4/4"]


def test_an_unknown_type_is_left_out_and_a_collection_style_fills_in():
    text, _ = normalize_tune(REEL.replace("R:Reel", "R:???"))
    assert "R:" not in text
    text, _ = normalize_tune(REEL.replace("R:Reel", "R:???"), default_type="dance")
    assert tune_tokens(text)[0] == "R:dance"


def test_form_spellings():
    assert parse_form("AABB").sections == (("A", True), ("B", True))
    assert parse_form("abac", part_bars=4).sections == (("A", False), ("B", False), ("A", False), ("C", False))
    for bad in ("AAB", "A1", ""):
        with pytest.raises(ConfigError):
            parse_form(bad)
    assert default_plan("reel").name == "AABB" and default_plan("song") is None


def _random_walk(vocab: list[str], state: StrictTune, seed: int, limit: int = 900) -> list[str] | None:
    """Tokens drawn uniformly among those the mask allows: the worst network there is. None when the
    walk ends at a dead end (the sampler would then draw the tune again)."""
    constraint, rng, tokens = Constraint(vocab), random.Random(seed), []
    for _ in range(limit):
        allowed = np.flatnonzero(constraint.mask(state))
        if not len(allowed):
            return None
        token = vocab[rng.choice(allowed.tolist())]
        if token == "<eos>":
            return tokens
        tokens.append(token)
        state.feed(token)
    return None


@pytest.fixture(scope="module")
def typed_vocab() -> list[str]:
    tunes, _ = read_abc_file(FOLK_SAMPLE)
    texts = [tune.text for tune in tunes] + [normalize_tune(REEL)[0]]
    return AbcTokenizer().fit(texts).vocab


@pytest.mark.parametrize("form", ["AABB", "AB", "AABBCC", "ABAC"])
def test_masked_random_walks_have_the_asked_form_and_close_on_the_tonic(typed_vocab, form):
    plan = parse_form(form, part_bars=4)
    finished = 0
    for seed in range(30):
        tokens = _random_walk(typed_vocab, StrictTune(form=plan), seed)
        if tokens is None:
            continue
        finished += 1
        assert strict_problems(tokens) == []
        assert form_problems(tokens, plan) == [], " ".join(tokens)
    assert finished >= 20  # dead ends are rare: the sampler redraws those


def test_cached_masks_equal_fresh_ones(typed_vocab):
    """The mask cache keys on the part of the state the rules read: a cached mask is the mask."""
    plan = parse_form("AABB", part_bars=4)
    cached, fresh = Constraint(typed_vocab), Constraint(typed_vocab)
    rng = random.Random(5)
    for round_number in range(12):
        state = StrictTune(form=plan if round_number % 2 else None)
        for _ in range(400):
            mask = cached.mask(state)
            fresh._cache.clear()
            assert np.array_equal(mask, fresh.mask(state))
            allowed = np.flatnonzero(mask)
            if not len(allowed) or typed_vocab[allowed[0]] == "<eos>" and len(allowed) == 1:
                break
            token = typed_vocab[rng.choice([i for i in allowed.tolist() if typed_vocab[i] != "<eos>"] or [2])]
            if token == "<eos>":
                break
            state.feed(token)


@pytest.fixture(scope="module")
def typed_model(typed_vocab) -> Model:
    import torch

    torch.manual_seed(0)
    tokenizer = AbcTokenizer(typed_vocab)
    return Model(SequenceModel(ModelConfig(len(tokenizer), "lstm", 8, 16, 1)), tokenizer)


def test_generate_with_a_type_and_part_bars_writes_its_usual_form(typed_model):
    (result,) = sample(typed_model, SampleConfig(count=6, seed=2, tune_type="reel", part_bars=4))
    assert len(result.pieces) == 6
    for piece in result.pieces:
        tokens = tune_tokens(piece.abc)
        assert tokens[0] == "R:reel" and "R:reel" in piece.abc
        assert form_problems(tokens, parse_form("AABB", 4)) == [] and not piece.problems


def test_a_type_asked_takes_the_forms_its_books_have_and_never_a_free_one():
    from melody.sampling.plans import form_plan

    reels = {"reel": {"plans": [[2, False, 8, 3], [2, True, 8, 1]], "other": 50, "tonic": 0.5, "give_back": 0.0}}
    rng = random.Random(0)
    asked = [form_plan(SampleConfig(tune_type="reel"), None, reels, rng) for _ in range(200)]
    assert all(plan is not None and plan.part_bars == 8 for plan in asked)
    assert 25 <= sum(plan.sections[0][1] for plan in asked) <= 75  # AABB one in four, as the books
    assert 60 <= sum(plan.cadence for plan in asked) <= 140  # closing on the tonic as often as theirs
    chosen = [form_plan(SampleConfig(), "reel", reels, rng) for _ in range(200)]
    assert sum(plan is None for plan in chosen) > 150  # the model's own reels keep the books' free share
    untabled = form_plan(SampleConfig(tune_type="polka"), None, reels, rng)
    assert untabled.sections == (("A", True), ("B", True)) and untabled.part_bars == 8 and untabled.cadence


def test_models_without_types_say_so(tiny_run):
    import torch

    tunes, _ = read_abc_file(FOLK_SAMPLE)
    untyped = AbcTokenizer().fit([tune.text for tune in tunes])
    assert not any(token.startswith("R:") for token in untyped.vocab)
    torch.manual_seed(0)
    model = Model(SequenceModel(ModelConfig(len(untyped), "lstm", 8, 16, 1)), untyped)
    with pytest.raises(ConfigError, match="does not know tune types"):
        list(sample(model, SampleConfig(count=1, tune_type="reel")))
    characters = Model(tiny_run["trainer"].model, tiny_run["corpus"].tokenizer)
    with pytest.raises(ConfigError, match="only models of abc tokens"):
        list(sample(characters, SampleConfig(count=1, form="AABB")))
    with pytest.raises(ConfigError, match="not a tune type"):
        SampleConfig(tune_type="bossa nova")


@pytest.mark.parametrize("form", ["AB", "A", "ABAC"])
def test_a_form_that_gives_the_anacrusis_back_ends_short_by_it(typed_vocab, form):
    from dataclasses import replace

    from melody.formats.abc.form import gives_back

    plan = replace(parse_form(form, part_bars=4), give_back=True)
    opened_short = 0
    for seed in range(60):
        tokens = _random_walk(typed_vocab, StrictTune(form=plan), seed)
        if tokens is None:
            continue
        assert strict_problems(tokens) == [] and form_problems(tokens, plan) == [], " ".join(tokens)
        if gives_back(tokens) is not None:
            opened_short += 1
            assert gives_back(tokens), " ".join(tokens)  # the bars as written add up to whole bars
    assert opened_short >= 4


def test_the_form_table_knows_how_often_an_anacrusis_is_given_back():
    from melody.formats.abc.form import form_table, gives_back

    given = normalize_tune("X:1\nT:a\nM:3/4\nL:1/8\nK:G\nD2|G4 A2|B6|A4 G2|G4|]\n")[0]
    kept = normalize_tune("X:1\nT:b\nM:3/4\nL:1/8\nK:G\nD2|G4 A2|B6|A4 G2|G6|]\n")[0]
    plain = normalize_tune("X:1\nT:c\nM:3/4\nL:1/8\nK:G\nG4 A2|B6|A4 G2|G6|]\n")[0]
    assert [gives_back(tune_tokens(t)) for t in (given, kept, plain)] == [True, False, None]
    assert form_table([tune_tokens(t) for t in (given, kept, plain)])[""]["give_back"] == 0.5
