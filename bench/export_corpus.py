"""Write a corpus, read, checked and tokenized, to one .npz file for bench/train_cached.py.

python bench/export_corpus.py folk abc folk_abc.npz
"""

from __future__ import annotations

import sys

from melody.training.data import prepare_corpus, save_tokenized


def main() -> None:
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    corpus_name, tokenizer, out = sys.argv[1:]
    corpus = prepare_corpus([corpus_name], tokenizer)
    save_tokenized(out, corpus)
    summary = corpus.summary
    print(
        f"{out}: {summary['train_pieces']} train / {summary['val_pieces']} val pieces, {len(corpus.tokenizer)} tokens"
    )


if __name__ == "__main__":
    main()
