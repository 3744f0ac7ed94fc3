"""The yardsticks of `melody evaluate`: the n-gram baseline, musical statistics, copying."""

from melody.evaluation.baseline import CharNgram, ngram_bits_per_char
from melody.evaluation.copying import BarIndex, bar_keys
from melody.evaluation.statistics import compare, ks_distance, tune_stats, tv_distance
from melody.formats.abc.text import read_abc_file
from tests.conftest import FOLK_SAMPLE

TUNES = [t.text for t in read_abc_file(FOLK_SAMPLE)[0]]


def test_ngram_learns_from_the_training_split():
    """Tunes it was fitted on cost few bits; unseen ones more, but fewer than 8-bit text."""
    seen = ngram_bits_per_char(TUNES, TUNES[:10])
    unseen = ngram_bits_per_char(TUNES[10:], TUNES[:10], order=2)
    assert seen < 1.0 < unseen < 5.0


def test_ngram_probabilities_sum_to_one():
    model = CharNgram(3).fit(TUNES[:10])
    total = sum(model.probability("AB", c) for c in model.alphabet)
    assert 0.97 < total <= 1.0  # the rest is kept for characters never seen


def test_statistics_of_a_tune():
    stats = tune_stats("T:a\nM:2/4\nL:1/8\nK:G\n|:GABc|d2B2:||:g2d2|B4:|\n")
    assert stats["bars"] == 4 and stats["form"] == "AABB" and stats["key"] == "G" and stats["meter"] == "2/4"
    assert stats["pitch_range"] == 79 - 67 and stats["scale_consistency"] == 1.0


def test_distances():
    assert ks_distance([1, 2, 3], [1, 2, 3]) == 0 and ks_distance([1, 2], [5, 6]) == 1
    assert tv_distance(["G", "D"], ["G", "D"]) == 0 and tv_distance(["G"], ["D"]) == 1
    stats = [s for s in map(tune_stats, TUNES) if s]
    assert compare(stats, stats)["distance"] == 0
    assert compare(stats[:20], stats[20:])["distance"] > 0


def test_copying_finds_the_longest_shared_run():
    index = BarIndex(TUNES)
    source = next(t for t in TUNES if len(bar_keys(t)) >= 10)
    run, tune = index.longest_run(source)
    assert run >= len(bar_keys(source)) and TUNES[tune] == source or bar_keys(TUNES[tune]) == bar_keys(source)
    fresh = "T:new\nM:4/4\nL:1/8\nK:C\n" + "|".join(f"C{i % 7 + 1}z{8 - i % 7 - 1}" for i in range(12)) + "|]\n"
    assert index.longest_run(fresh)[0] <= 1
