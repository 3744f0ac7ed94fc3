"""The evaluation web page: histograms drawn from shares, text escaped, a page that parses."""

from html.parser import HTMLParser

from melody.evaluation.report import evaluation_html, histogram_svg
from melody.evaluation.statistics import histogram


def test_histogram_shares_sum_to_one_over_shared_bins():
    drawn = histogram([1, 2, 3, 3], [2, 2, 5], bins=4)
    assert drawn["edges"][0] == 1 and drawn["edges"][-1] == 5
    assert sum(drawn["generated"]) == 1 and sum(drawn["held_out"]) == 1
    assert drawn["held_out"][-1] == 1 / 3  # the largest value lands in the last bin
    assert histogram([4, 4], [4])["generated"][0] == 1  # all equal: one bin holds them


def test_histogram_svg_draws_a_bar_per_bin_and_set():
    svg = histogram_svg(histogram([1, 2, 3], [2, 3, 4], bins=6))
    assert svg.count("<rect") == 12 and "<title>" in svg


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.open: list[str] = []
        self.seen: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.seen.append(tag)
        if tag not in ("meta", "br"):  # void elements
            self.open.append(tag)

    def handle_endtag(self, tag):
        assert self.open and self.open.pop() == tag, tag


def test_page_escapes_titles_and_tunes_and_closes_every_tag():
    tune = {
        "title": "<script>alert(1)</script>",
        "abc": "X:1\nT:a<b\nK:C\nCDE|]\n",
        "problems": ["bar 2: too long"],
        "abc2midi": None,
        "longest_copied_bars": 3,
        "nearest_training_tune": "Tom & Jerry",
    }
    music = {
        "distance": 0.2,
        "statistics": {
            "bars": {"generated": 3.0, "held_out": 2.5, "distance": 0.3, "histogram": histogram([3, 3], [2, 3])},
            "key": {"generated": {"G": 1.0}, "held_out": {"D": 0.5, "G": 0.5}, "distance": 0.5},
            "ends_on_tonic": {"generated": 1.0, "held_out": 0.75, "distance": 0.25, "share": True},
        },
    }
    result = {
        "model": "/m/folk.safetensors", "corpus": ["folk"], "pieces": 2, "split": "val", "clean": True,
        "bits_per_token": 1.5, "bits_per_char": 1.1, "ngram_bits_per_char": 2.3,
        "samples": {
            "count": 1, "seed": 1, "resampled": 0, "checker_pass": 0.0, "abc2midi_pass": 1.0,
            "abc2midi_silent": 1.0, "copy_4_bars": 0.0, "copy_8_bars": 0.0, "music": music, "tunes": [tune],
        },
    }  # fmt: skip
    page = evaluation_html(result)
    assert page.count("<script>") == 1  # the play button's own; the title's is escaped
    assert "&lt;script&gt;" in page and "T:a&lt;b" in page and "Tom &amp; Jerry" in page
    assert "bar 2: too long" in page and "1.1000" in page and "G 100%" in page
    assert "100% vs 75% held-out" in page  # a yes/no figure as shares, not "True 2, False 1"
    assert "3 bars in a row from one training tune" in page
    tags = Tags()
    tags.feed(page)
    assert tags.open == [] and tags.seen.count("svg") >= 1 and "details" in tags.seen and "button" in tags.seen


def test_a_one_bar_copy_is_not_listed_and_same_means_are_explained():
    from melody.evaluation.report import versus

    tune = {"title": "T", "abc": "X:1\nT:T\nM:4/4\nK:C\nCDEF|]\n", "problems": [], "longest_copied_bars": 1}
    result = {
        "model": "m", "corpus": [], "pieces": 1, "split": "val", "clean": True, "bits_per_token": 1.0,
        "samples": {"count": 1, "seed": 0, "resampled": 0, "checker_pass": 1.0, "copy_4_bars": 0.0,
                    "copy_8_bars": 0.0, "tunes": [tune | {"nearest_training_tune": "Other"}]},
    }  # fmt: skip
    assert "Other" not in evaluation_html(result)
    same = versus({"generated": 0.99, "held_out": 0.99, "distance": 0.32})
    assert "same mean, differently spread" in same


def test_histogram_has_a_y_axis_with_share_labels():
    svg = histogram_svg(histogram([1, 1, 2], [2, 2, 2], bins=2))
    assert "100%" in svg and "50%" in svg and "0%" in svg
