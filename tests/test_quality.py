"""The yardsticks of `melody evaluate`: the n-gram baseline, musical statistics, copying."""

from melody.evaluation.baseline import CharNgram, ngram_bits_per_char
from melody.evaluation.statistics import compare, ks_distance, tune_stats, tv_distance
from melody.evaluation.two_sample import two_sample
from melody.formats.abc.copies import BarIndex, bar_keys, pack_bars
from melody.formats.abc.text import read_abc_file
from tests.conftest import FOLK_SAMPLE

TUNES = [t.text for t in read_abc_file(FOLK_SAMPLE)[0]]


def test_ngram_learns_from_the_training_split():
    """Tunes it was fitted on cost few bits; unseen ones more, but fewer than 8-bit text."""
    seen = ngram_bits_per_char(TUNES, TUNES[:10])
    unseen = ngram_bits_per_char(TUNES[10:], TUNES[:10], order=2)
    assert seen < 1.0 < unseen < 5.0


def test_the_ngram_figure_is_kept_for_the_same_texts_and_refitted_for_others(monkeypatch):
    """Evaluating a model again reads its baseline from the cache (a refit takes seconds on a corpus)."""
    import melody.evaluation.baseline as baseline

    fits, fit = [], baseline.CharNgram.fit
    monkeypatch.setattr(baseline.CharNgram, "fit", lambda model, texts: fits.append(len(texts)) or fit(model, texts))
    first = ngram_bits_per_char(TUNES[10:], TUNES[:10])
    assert ngram_bits_per_char(TUNES[10:], TUNES[:10]) == first and len(fits) == 1
    assert ngram_bits_per_char(TUNES[10:], TUNES[:9]) != first and len(fits) == 2


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
    index = BarIndex.of_texts(TUNES)
    source = next(t for t in TUNES if len(bar_keys(t)) >= 10)
    run, tune = index.longest_run(source)
    assert run >= len(bar_keys(source)) and (TUNES[tune] == source or bar_keys(TUNES[tune]) == bar_keys(source))
    fresh = "T:new\nM:4/4\nL:1/8\nK:C\n" + "|".join(f"C{i % 7 + 1}z{8 - i % 7 - 1}" for i in range(12)) + "|]\n"
    assert index.longest_run(fresh)[0] <= 1


def test_packed_bars_find_the_same_runs_as_the_tunes():
    packed = BarIndex.of_packed(pack_bars(TUNES))
    for text in TUNES[:10]:
        assert packed.longest_run(text) == BarIndex.of_texts(TUNES).longest_run(text)


def test_a_classifier_cannot_tell_real_from_real_but_tells_noise_from_real():
    import random

    half = len(TUNES) // 2
    same = two_sample(TUNES[:half], TUNES[half:], seed=1)
    assert same["unread"] == 0 and same["generated"] == half
    assert 0.25 <= same["accuracy"] <= 0.75 and 0.25 <= same["floor"] <= 0.75  # chance, give or take a small set
    rng = random.Random(0)
    notes = "CDEFGABcdefgab"
    noise = [
        "T:n\nM:4/4\nL:1/8\nK:C\n" + "|".join("".join(rng.choice(notes) for _ in range(8)) for _ in range(8)) + "|]\n"
        for _ in range(half)
    ]
    assert two_sample(noise, TUNES, seed=1)["accuracy"] >= 0.9


def test_generated_tunes_say_how_much_they_copied(tiny_run):
    """A tune primed with four bars of a training tune copies at least those four; the count comes
    from the bars the model file keeps, which a trained model's file has."""
    import torch

    from melody.network.checkpoint import Model, load_model
    from melody.network.model import ModelConfig, SequenceModel
    from melody.sampling.pieces import sample
    from melody.sampling.sampler import SampleConfig
    from melody.tokenizers.abc_tokens import AbcTokenizer

    assert load_model(tiny_run["run_dir"] / "last.safetensors").training["training_bars"]
    tokenizer = AbcTokenizer().fit(TUNES)
    torch.manual_seed(0)
    network = SequenceModel(ModelConfig(len(tokenizer), "lstm", 8, 16, 1))
    model = Model(network, tokenizer, {"training_bars": pack_bars(TUNES[:20])})
    source = next(t for t in TUNES[:20] if t.count("|") >= 6 and "|:" not in t and "M:4/4" in t)
    header, body = source.split("K:", 1)
    key, music = body.split("\n", 1)
    primer = (
        "M:4/4\nL:" + header.split("L:")[1].split("\n")[0] + "\nK:" + key + "\n" + "|".join(music.split("|")[:5]) + "|"
    )
    (result,) = sample(model, SampleConfig(count=3, seed=1, primer=primer))
    for piece in result.pieces:
        copied = piece.fields()["longest_copied_bars"]
        assert copied == BarIndex.of_texts(TUNES[:20]).longest_run(piece.abc)[0] and copied >= 4
