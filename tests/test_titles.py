"""Titles in the corpus's idiom: learned from training titles per type, never one of them."""

from melody.formats.abc.text import header_fields, read_abc_file
from melody.music.titles import TitleModel, clean_title
from tests.conftest import FOLK_SAMPLE

DANCE_TITLES = [
    ("The Humours of Ballyconnell", "reel"),
    ("The Maid of Mount Kisco", "reel"),
    ("The Humours of Tulla", "reel"),
    ("The Maid of Castlebar", "reel"),
    ("Humours of Kilkenny", "reel"),
    ("The Kesh", "jig"),
]


def test_notes_in_titles_are_left_out():
    assert clean_title("HIGHWAY TO DUBLIN -- Jig") == "Highway To Dublin"
    assert clean_title("Klostergang (3-11), S. 119") == "Klostergang"
    assert clean_title("When the Boys. 1st Setting.") == "When the Boys"


def test_titles_follow_the_type_and_are_new():
    model = TitleModel.fit(DANCE_TITLES * 2)
    titles = {model.title(seed, "reel") for seed in range(40)} - {None}
    assert titles and not titles & {title for title, _ in DANCE_TITLES}
    assert all(title.split()[-1].lower() not in ("the", "of") for title in titles)
    assert model.title(1, "reel") == model.title(1, "reel")  # a seed gives the same title


def test_a_title_model_travels_as_a_dict_and_reads_real_titles():
    tunes, _ = read_abc_file(FOLK_SAMPLE)
    model = TitleModel.fit([(header_fields(t.text).get("T", ""), None) for t in tunes])
    again = TitleModel.from_dict(model.to_dict())
    assert again.chains == model.chains and again.title(3) == model.title(3)
    assert not TitleModel.from_dict(None)
