"""Corpus ingestion, cold and cached, for any corpus and tokenizer (default: the built-in `folk`).

    python bench/ingest.py [CORPUS...] [--tokenizer abc]

Cold: every file parsed (in worker processes), every ABC tune run through the bar checker, the
pieces tokenized, with an empty cache. Cached: the same call again, served from the on-disk cache
(memory-mapped arrays). bench/midi_ingest.py does the same for MIDI and checks the round trip.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

from melody.training.data import prepare_corpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", nargs="*", default=["folk"])
    parser.add_argument("--tokenizer", default="abc")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        os.environ["MELODY_CACHE"] = cache
        start = time.perf_counter()
        cold = prepare_corpus(args.corpus, args.tokenizer)
        cold_seconds = time.perf_counter() - start
        start = time.perf_counter()
        prepare_corpus(args.corpus, args.tokenizer)
        cached_seconds = time.perf_counter() - start
    files = cold.summary["files"]
    report = {
        "corpus": args.corpus,
        "tokenizer": args.tokenizer,
        "workers": os.cpu_count(),
        "files": files,
        "pieces": cold.summary["pieces"],
        "tokens": cold.summary["train_tokens"] + cold.summary["val_tokens"],
        "cold_seconds": round(cold_seconds, 2),
        "cold_files_per_second": round(files / cold_seconds, 1),
        "cached_seconds": round(cached_seconds, 3),
        "cached_files_per_second": round(files / cached_seconds, 1),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
