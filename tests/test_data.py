import shutil
from pathlib import Path

import numpy as np
import pytest

from melody.errors import InputError
from melody.formats.corpus import find_files, load_corpus
from melody.network.model import stream_rows
from melody.training.data import (
    is_validation,
    load_tokenized,
    prepare_corpus,
    save_tokenized,
    shuffled_stream,
    window,
)
from tests.conftest import FOLK_SAMPLE


def _folder_with_fixture(tmp_path):
    (tmp_path / "nested" / "deeper").mkdir(parents=True)
    shutil.copy(FOLK_SAMPLE, tmp_path / "nested" / "deeper" / "book.abc")
    return tmp_path


def test_folders_are_searched_recursively_and_bad_files_counted(tmp_path):
    folder = _folder_with_fixture(tmp_path)
    (folder / "empty.abc").write_text("")
    (folder / "notes.txt").write_text("not abc")
    (folder / "mixed.abc").write_text("X:1\nT:no key\nM:4/4\nabc|\n\nX:2\nT:ok\nM:4/4\nK:G\nGABc|\n")
    corpus = load_corpus([str(folder)])
    assert len(corpus.files) == 3
    assert corpus.failed_files == [(str(folder / "empty.abc"), "empty file")]
    assert corpus.dropped == {"no K: field": 1}
    assert len(corpus.pieces) == 61


def test_exact_duplicates_are_dropped_and_counted(tmp_path):
    folder = _folder_with_fixture(tmp_path)
    shutil.copy(FOLK_SAMPLE, folder / "copy.abc")
    corpus = load_corpus([str(folder)])
    assert len(corpus.pieces) == 60 and corpus.duplicates == 60


def test_unknown_corpus_names_say_what_exists():
    with pytest.raises(InputError, match="not a built-in corpus \\(folk, chorales\\)"):
        find_files("no/such/place")


def test_builtin_folk_corpus_lists_the_music21_collections():
    files = find_files("folk")
    collections = {path.parent.name for path in files}
    assert collections == {"essenFolksong", "oneills1850", "ryansMammoth", "airdsAirs", "miscFolk"}


def test_split_is_stable_when_files_are_added(tmp_path):
    folder = _folder_with_fixture(tmp_path)
    before = {t for t in load_corpus([str(folder)]).pieces if is_validation(t, 0.2)}
    (folder / "more.abc").write_text("X:1\nT:new\nM:4/4\nK:G\nGABc|dcBA|\n")
    after = {t for t in load_corpus([str(folder)]).pieces if is_validation(t, 0.2)}
    assert before <= after and 0 < len(before) < 60


def test_second_prepare_comes_from_the_cache_with_the_same_arrays():
    first = prepare_corpus([str(FOLK_SAMPLE)], val_fraction=0.1)
    second = prepare_corpus([str(FOLK_SAMPLE)], val_fraction=0.1)
    assert first.summary["cached"] is False and second.summary["cached"] is True
    assert np.array_equal(first.train, second.train) and np.array_equal(first.val_offsets, second.val_offsets)
    assert second.tokenizer.vocab == first.tokenizer.vocab
    other = prepare_corpus([str(FOLK_SAMPLE)], val_fraction=0.3)
    assert other.summary["cached"] is False and other.val.size > first.val.size


def test_the_cache_is_memory_mapped_and_a_damaged_one_is_rebuilt():
    first = prepare_corpus([str(FOLK_SAMPLE)], val_fraction=0.1)
    cached = prepare_corpus([str(FOLK_SAMPLE)], val_fraction=0.1)
    assert isinstance(cached.train, np.memmap) and np.array_equal(cached.train, first.train)
    folder = Path(cached.train.filename).parent
    (folder / "train.npy").write_bytes((folder / "train.npy").read_bytes()[:-40])  # cut short
    rebuilt = prepare_corpus([str(FOLK_SAMPLE)], val_fraction=0.1)
    assert rebuilt.summary["cached"] is False and np.array_equal(rebuilt.train, first.train)
    assert prepare_corpus([str(FOLK_SAMPLE)], val_fraction=0.1).summary["cached"] is True


def test_a_corpus_exported_to_one_npz_file_loads_back(tmp_path):
    corpus = prepare_corpus([str(FOLK_SAMPLE)], val_fraction=0.1)
    save_tokenized(tmp_path / "folk.npz", corpus)
    back = load_tokenized(tmp_path / "folk.npz")
    assert np.array_equal(back.train, corpus.train) and back.tokenizer.vocab == corpus.tokenizer.vocab


def test_every_tune_is_framed_by_bos_and_eos():
    corpus = prepare_corpus([str(FOLK_SAMPLE)], val_fraction=0.1)
    tok = corpus.tokenizer
    starts, ends = corpus.train_offsets[:-1], corpus.train_offsets[1:] - 1
    assert (corpus.train[starts] == tok.bos_id).all() and (corpus.train[ends] == tok.eos_id).all()


def test_windows_are_contiguous_so_state_can_carry():
    stream = shuffled_stream(np.arange(100), np.array([0, 30, 60, 100]), seed=3)
    assert sorted(stream.tolist()) == list(range(100))
    rows = stream_rows(np.arange(100), 4)  # (4, 25)
    x0, y0 = window(rows, 0, 8)
    x1, _ = window(rows, 1, 8)
    assert (y0[:, :-1] == x0[:, 1:]).all()
    assert (x1[:, 0] == x0[:, -1] + 1).all()


def test_builtin_chorales_are_the_371_riemenschneider_chorales():
    files = find_files("chorales")
    assert len(files) == 371 and all(path.suffix in (".mxl", ".xml") and path.is_file() for path in files)
