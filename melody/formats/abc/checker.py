"""Is one ABC tune well-formed? `tune_problems` says, bar by bar, for the corpus checker
(`melody corpus --check`, `train --clean`), for resampling a character model's tunes and for
`evaluate --samples`.

Two layers: quick text checks for what abc2midi rejects in generated text that the tokens never
see (keys with unknown modes, stray characters, a length slash with no note, a comma after a
lowercase note, a decoration before nothing), then every bar, tie and repeat, read from the tune's
abc tokens by the TuneState (formats/abc/state.py) that the constrained sampler's rules narrow, so
what the sampler allows the checker passes. Timing comes
from our own token reader rather than music21, which takes about 0.1 s per tune (a corpus check of
the folk collections would take minutes, not seconds) and forgives short bars silently.
"""

from __future__ import annotations

import re

from melody.formats.abc.state import Problem
from melody.formats.abc.syntax import DECORATION_LETTERS, RESERVED_LETTERS
from melody.formats.abc.text import header_fields, tune_body
from melody.music.theory import normalize_key
from melody.music.tunes import normalize_type, tune_style

_ALLOWED = set("ABCDEFGabcdefgzxZ^_=,'0123456789/|:[]()-<>{}!+& \\\ny") | DECORATION_LETTERS | RESERVED_LETTERS
_DECORATION_CLASS = "[" + re.escape("".join(sorted(DECORATION_LETTERS))) + "]"


def key_problem(value: str) -> Problem | None:
    if normalize_key(value) is not None:
        return None
    return Problem(f"K:{value} is not a key (or has an unknown mode)", kind="a K: that is not a key")


def abc_problems(text: str) -> list[Problem]:
    """Problems of one canonical tune (header lines, then body); an empty list means well-formed."""
    problems = []
    fields = header_fields(text)
    if "K" not in fields:
        return [Problem("no K: field")]
    if (problem := key_problem(fields["K"])) is not None:
        problems.append(problem)
    body = tune_body(text)
    lines = [line for line in body.split("\n") if not re.match(r"^[A-Za-z]:", line)]
    music = "\n".join(re.sub(r"\[[A-Za-z]:[^\]]*\]|![^!\n]*!", " ", line) for line in lines)
    stray = sorted({ch for ch in music if ch not in _ALLOWED})
    if stray:
        problems.append(Problem("stray characters " + " ".join(repr(ch) for ch in stray), kind="stray characters"))
    if re.search(r"(^|[\s|\[\]()}<>-])/", music):  # after { it is an acciaccatura: {/g}A
        problems.append(Problem("a length slash with no note before it"))
    if re.search(r"[a-g]'*,", music):
        problems.append(Problem("an octave-down comma after a lowercase note"))
    if re.search(_DECORATION_CLASS + r"(?=[\s|\]:)]|$)", music):
        problems.append(Problem("a decoration with no note after it"))
    return problems


def tune_problems(text: str) -> list[Problem]:
    """Every problem of one canonical tune: the quick checks above, then bar by bar against the
    meter (an anacrusis, a final bar or section end that completes it, and endings are allowed;
    ``M:none`` tunes are free). Bar numbers count the first full bar as 1."""
    from melody.formats.abc.lexer import LexError, tune_tokens
    from melody.formats.abc.state import check_tokens

    problems = abc_problems(text)
    try:
        tokens = tune_tokens(text)
    except LexError as error:
        return problems + [Problem(f"cannot read the tune bar by bar: {error}", kind="cannot read the tune bar by bar")]
    return problems + check_tokens(tokens)


def first_tune_problems(text: str) -> list[Problem]:
    """Problems of the first tune of ABC text as a person writes it (tunebook header, legacy line
    breaks, fields in the body): the verdict the studio shows while one types."""
    from melody.formats.abc.text import read_abc_text

    tunes, dropped = read_abc_text(text if "X:" in text else f"X:1\n{text}", "<abc>")
    if not tunes:
        return [Problem(next(iter(dropped), "no tune (an ABC tune needs a K: line)"))]
    return tune_problems(tunes[0].text)


def check_tunes(texts: list[str], workers: int | None = None) -> list[list[Problem]]:
    """`tune_problems` of many tunes, in worker processes when there are enough to pay for them."""
    import os
    from concurrent.futures import ProcessPoolExecutor

    workers = workers or min(8, os.cpu_count() or 1)
    if workers < 2 or len(texts) < 2000:
        return [tune_problems(text) for text in texts]
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(tune_problems, texts, chunksize=256))


def worth_learning(text: str) -> bool:
    """Of the built-in folk books, what a musician would learn from: not the tunes in free meter
    (their bar lines mark phrases, not bars) nor the dances written in sixteenth-note units (Ryan's
    2/4 reels: the same dances at half the note values, which teach sixteenth figures to every
    reel and song a model writes)."""
    fields = dict(re.findall(r"^([MLR]):(.*)$", text, re.M))
    if fields.get("M", "").strip() == "none":
        return False
    unit = fields.get("L", "1/8").strip()
    return not (unit in ("1/16", "1/32") and tune_style(normalize_type(fields.get("R", ""))) == "dance")


def clean_tunes(texts: list[str]) -> tuple[list[str], int]:
    """The tunes with no problem at all, and how many were left out: what `train --clean` keeps."""
    kept = [text for text, problems in zip(texts, check_tunes(texts)) if not problems]
    return kept, len(texts) - len(kept)


def check_corpus(pieces: list[str], sources: list[str]) -> dict:
    """`melody corpus --check`: every ABC tune bar by bar, the clean share per file, and the
    commonest first problem of the tunes that are not clean, by kind."""
    from collections import Counter

    texts = list(zip(pieces, sources))
    results = check_tunes(pieces)
    per_file: dict[str, list[int]] = {}
    problems: Counter = Counter()
    for (_, source), found in zip(texts, results):
        tally = per_file.setdefault(source, [0, 0])
        tally[0] += 1
        tally[1] += not found
        if found:
            problems[found[0].kind] += 1
    clean = sum(c for _, c in per_file.values())
    return {
        "tunes": len(results),
        "clean": clean,
        "clean_share": clean / len(results) if results else None,
        "files": [{"file": f, "tunes": t, "clean": c, "clean_share": c / t} for f, (t, c) in per_file.items()],
        "first_problems": dict(problems.most_common(8)),
    }
