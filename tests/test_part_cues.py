"""Part cues: the corpus's own parts marked in its tokens (where a part opens, which letter it is,
where its last bar opens), the form a sampler is asked for spelled through them, and a returning
part written again."""

import random

import numpy as np
import pytest

from melody.formats.abc.form import form_problems, tune_form, with_part_cues
from melody.formats.abc.lexer import tune_tokens
from melody.formats.abc.state import check_tokens
from melody.formats.abc.syntax import LAST_BAR_CUE
from melody.formats.abc.text import normalize_tune, read_abc_file
from melody.music.tunes import parse_form
from melody.network.checkpoint import Model
from melody.network.model import ModelConfig, SequenceModel
from melody.sampling.abc_mask import Constraint
from melody.sampling.pieces import sample
from melody.sampling.sampler import SampleConfig
from melody.sampling.tune_rules import StrictTune, strict_problems
from melody.tokenizers import tokenizer_from_dict
from melody.tokenizers.abc_tokens import AbcTokenizer
from tests.conftest import FOLK_SAMPLE
from tests.test_form import REEL

ABAC = """X:1
T:Returns
M:4/4
L:1/8
K:G
D|GABc dBGB|cedc BAGF|GABc dBGB|A2F2 G3||
d|g2fg efge|dBGB c2BA|g2fg efge|d2f2 g3||
D|GABc dBGB|cedc BAGF|GABc dBGB|A2F2 G3||
e|c2ec B2dB|A2cA G2BG|F2AF D2FA|G6 z2|]
"""


def cued(text: str) -> list[str]:
    return with_part_cues(tune_tokens(normalize_tune(text)[0]))


def test_each_part_opens_with_its_letter_and_its_last_bar_with_a_cue():
    tokens = cued(REEL)
    assert [t for t in tokens if t.startswith("P:")] == ["P:A", LAST_BAR_CUE, "P:B", LAST_BAR_CUE]
    assert tokens.index("P:A") == 4  # before the anacrusis, right after the header
    last = tokens.index(LAST_BAR_CUE)
    assert tokens[last - 1] == "|" and tokens[last + 1 : last + 3] == ["B", "A"]  # BAGF E2D:|
    second = tokens.index("P:B")
    assert tokens[second - 1] == ":|" and tokens[second + 1] == "|:"
    assert [t for t in tokens if not t.startswith("P:")] == tune_tokens(normalize_tune(REEL)[0])


def test_a_part_that_comes_back_takes_its_letter_again():
    tokens = cued(ABAC)
    assert [t[2] for t in tokens if t.startswith("P:") and t != LAST_BAR_CUE] == ["A", "B", "A", "C"]
    assert tokens.count(LAST_BAR_CUE) == 4


def test_cues_change_nothing_the_checker_or_the_form_reads():
    tunes, _ = read_abc_file(FOLK_SAMPLE)
    for tune in tunes:
        plain = tune_tokens(tune.text)
        tokens = with_part_cues(plain)
        assert check_tokens(tokens) == check_tokens(plain)
        assert tune_form(tokens) == tune_form(plain)
        assert tokens.count(LAST_BAR_CUE) == len(tune_form(plain).parts)


def test_the_tokenizer_learns_cues_and_decodes_without_them():
    tunes, _ = read_abc_file(FOLK_SAMPLE)
    tokenizer = AbcTokenizer(cues=True).fit([tune.text for tune in tunes] + [normalize_tune(ABAC)[0]])
    assert {"P:A", "P:B", "P:C", LAST_BAR_CUE} <= set(tokenizer.vocab)
    text = normalize_tune(ABAC)[0]
    decoded = tokenizer.decode(tokenizer.encode(text))
    assert "P:" not in decoded and tune_tokens(decoded) == tune_tokens(text)
    again = tokenizer_from_dict(tokenizer.to_dict())
    assert again.cues and again.encode(text) == tokenizer.encode(text)
    old = tokenizer_from_dict({"name": "abc", "vocab": tokenizer.vocab, "settings": {"decorations": True}})
    assert not old.cues  # a model file from before cues reads its tunes without them


@pytest.fixture(scope="module")
def cued_vocab() -> list[str]:
    tunes, _ = read_abc_file(FOLK_SAMPLE)
    texts = [tune.text for tune in tunes] + [normalize_tune(REEL)[0], normalize_tune(ABAC)[0]]
    return AbcTokenizer(cues=True).fit(texts).vocab


def test_a_form_asks_for_its_cues_where_its_parts_open_and_close(cued_vocab):
    constraint, rng = Constraint(cued_vocab), random.Random(3)
    plan = parse_form("AABB", part_bars=4)
    for seed in range(10):
        state, tokens = StrictTune(form=plan), []
        rng.seed(seed)
        for _ in range(900):
            allowed = np.flatnonzero(constraint.mask(state))
            token = cued_vocab[rng.choice(allowed.tolist())] if len(allowed) else "<eos>"
            if token == "<eos>":
                break
            tokens.append(token)
            state.feed(token)
        if token != "<eos>":
            continue
        assert [t for t in tokens if t.startswith("P:")] == ["P:A", LAST_BAR_CUE, "P:B", LAST_BAR_CUE]
        assert form_problems(tokens, plan) == [] and strict_problems(tokens) == []
        assert with_part_cues([t for t in tokens if not t.startswith("P:")]) == tokens  # as the corpus has them


@pytest.fixture(scope="module")
def cued_model(cued_vocab) -> Model:
    import torch

    torch.manual_seed(0)
    tokenizer = AbcTokenizer(cued_vocab, cues=True)
    return Model(SequenceModel(ModelConfig(len(tokenizer), "lstm", 8, 16, 1)), tokenizer)


def _parts(abc: str) -> list[list[str]]:
    """The music of each part of a written tune (cues put back to find the parts), slurs aside."""
    tokens = with_part_cues(tune_tokens(abc))
    parts: list[list[str]] = []
    for token in tokens:
        if token.startswith("P:") and token != LAST_BAR_CUE:
            parts.append([])
        elif parts and not token.startswith("P:") and token not in "()":  # a slur may close later
            parts[-1].append(token)
    return [part[:-1] for part in parts]  # the closing bar line depends on what follows


def test_abac_plays_its_first_part_again_and_aba_prime_c_its_first_bar(cued_model):
    (result,) = sample(cued_model, SampleConfig(count=6, seed=4, form="ABAC", part_bars=4, key="G"))
    assert len(result.pieces) == 6
    for piece in result.pieces:
        assert not piece.problems
        parts = _parts(piece.abc)
        assert len(parts) == 4 and parts[2] == parts[0], piece.abc
    (result,) = sample(cued_model, SampleConfig(count=6, seed=4, form="ABA'C", part_bars=4, key="G"))
    for piece in result.pieces:
        assert not piece.problems
        parts = _parts(piece.abc)
        first_bar = parts[0][: parts[0].index("|") + 1]
        assert parts[2][: len(first_bar)] == first_bar, piece.abc
