import pytest

from melody.errors import VocabularyError
from melody.tokenizers import make_tokenizer, tokenizer_from_dict
from melody.tokenizers.char import CharTokenizer


def test_round_trip_and_framing():
    tok = CharTokenizer().fit(["T:A\nK:G\nGABc|\n", "T:B\nK:D\ndefg|\n"])
    ids = tok.encode("K:G\nAB|\n")
    assert ids[0] == tok.bos_id and ids[-1] == tok.eos_id
    assert tok.decode(ids) == "K:G\nAB|\n"


def test_vocabulary_is_sorted_and_stable_whatever_the_order():
    a = CharTokenizer().fit(["zyx", "abc"])
    b = CharTokenizer().fit(["cba", "xyz"])
    assert a.vocab == b.vocab == ["<pad>", "<bos>", "<eos>", "a", "b", "c", "x", "y", "z"]


def test_unknown_characters_are_named():
    tok = CharTokenizer().fit(["ABC"])
    with pytest.raises(VocabularyError, match="'Z', 'é'"):
        tok.encode("AéZ")


def test_vocabulary_travels_through_a_dict():
    tok = make_tokenizer("char").fit(["K:G\nABC"])
    again = tokenizer_from_dict(tok.to_dict())
    assert again.vocab == tok.vocab and again.encode("ABC") == tok.encode("ABC")
