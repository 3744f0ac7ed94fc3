"""Any token sequence a model can emit decodes into a written piece or a piece dropped with a
reason, never a traceback: decode -> checker -> player -> ABC and MIDI writers, for every tokenizer."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from melody.formats.abc.text import read_abc_file
from melody.music.score import Note, Score
from melody.sampling.pieces import abc_unreadable, piece_from_ids
from melody.tokenizers import make_tokenizer
from tests.conftest import FOLK_SAMPLE


def _fitted(name: str):
    tokenizer = make_tokenizer(name)
    if name == "midi":
        scores = [
            Score((Note(0, 1, 60), Note(1, 2.5, 64, voice=1), Note(3, 4, 67)), meter=(3, 4), programs=(0, 40)),
            Score((Note(0, 0.5, 72), Note(0.5, 1, 71)), meter=(6, 8)),
        ]
        return tokenizer.fit(scores)
    tunes = [tune.text for tune in read_abc_file(FOLK_SAMPLE)[0]]
    tunes.append("T:odd\nM:4/4\nL:1/8\nK:Dmix ^g\n(5ABcde (3:2:4ABcd [CEG]>[DFA] {g}A2 ~B2|[M:3/4]A6|]\n")
    return tokenizer.fit(tunes)


TOKENIZERS = {name: _fitted(name) for name in ("char", "abc", "midi")}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TOKENIZERS))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_token_stream_is_written_or_dropped_with_a_reason(name, data):
    tokenizer = TOKENIZERS[name]
    size = len(tokenizer.vocab)
    ids = data.draw(st.lists(st.integers(min_value=3, max_value=size - 1), min_size=0, max_size=300))
    if name == "char":  # text with ABC's own pieces in it, not only single characters
        pieces = [
            "T:",
            "M:",
            "L:",
            "K:",
            "\n",
            "|",
            ":|",
            "|:",
            "[",
            "]",
            "(3",
            "G",
            "a",
            "2",
            "/",
            ">",
            "<",
            "-",
            "{",
            "}",
            "z",
            "^",
            "_",
            "=",
            ",",
            "'",
            "!",
            "~",
            "6/8",
            "1/8",
            "D",
            " ",
            "[1",
            '"',
            "%",
            "V:1",
            "==",
            "^^^",
        ]
        header = data.draw(st.sampled_from(["", "T:x\nM:6/8\nL:1/8\nK:D\n", "T:x\nM:4/4\nK:Gm\n"]))
        musical = ["G", "a2", "D,/", "^c", "_B3/2", "==G", "z2", "|", " ", "A>B", "(3GAB", "[CE]", "c-c", "{g}A", ":|"]
        chosen = data.draw(st.sampled_from([pieces, musical]))  # wild text, and text the lexer mostly reads
        text = header + "".join(data.draw(st.lists(st.sampled_from(chosen), min_size=20, max_size=120)))
        ids = [tokenizer.index[ch] for ch in text if ch in tokenizer.index]
    if name == "abc":  # a model's header comes first, as the sampler forces it
        header = [i for i, token in enumerate(tokenizer.vocab) if token[:2] in ("M:", "L:", "K:")]
        ids = data.draw(st.lists(st.sampled_from(header), min_size=0, max_size=3)) + ids
    piece, reason = piece_from_ids(tokenizer, ids + [tokenizer.eos_id], 1, None)
    assert (piece is None) != (reason == ""), (piece, reason)
    if piece is not None:
        assert piece.midi[:4] == b"MThd" and piece.abc.startswith("X:1\n")
        assert isinstance(abc_unreadable(tokenizer, piece), str)  # its ABC reads back, or it says why


def test_a_score_piece_is_read_back_before_it_is_kept_and_a_tune_needs_no_second_reading(monkeypatch):
    import melody.sampling.pieces as pieces
    from melody.errors import InputError

    tokenizer = TOKENIZERS["midi"]
    score = Score(tuple(Note(i, i + 1, 60 + i % 5) for i in range(24)), meter=(4, 4))
    piece, reason = piece_from_ids(tokenizer, tokenizer.encode(score) + [tokenizer.eos_id], 1, None)
    assert piece is not None and reason == "" and abc_unreadable(tokenizer, piece) == ""
    monkeypatch.setattr(pieces, "abc_to_stream", lambda abc: (_ for _ in ()).throw(InputError("music21 says no")))
    assert abc_unreadable(tokenizer, piece) == "music21 says no"
    assert abc_unreadable(TOKENIZERS["abc"], piece) == ""  # our reader wrote the tune from its own tokens
