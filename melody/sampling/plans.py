"""The plan each piece follows: forced text (a primer, header fields the user chose) and free text
the model writes, checked before sampling starts; and the form an ABC tune must keep (asked, its
type's usual one, or drawn as the model's corpus has them)."""

from __future__ import annotations

import re
from dataclasses import replace

from melody.errors import ConfigError
from melody.formats.abc.form import draw_last_units, draw_plan
from melody.formats.abc.text import HEADER_ORDER, normalize_tune
from melody.music.theory import normalize_key
from melody.music.tunes import (
    DEFAULT_PART_BARS,
    TYPE_METERS,
    FormPlan,
    default_plan,
    normalize_type,
    parse_form,
    tune_style,
)
from melody.sampling.config import SampleConfig


def form_plan(config: SampleConfig, tune_type: str | None, table: dict | None = None, rng=None) -> FormPlan | None:
    """The form a tune of this type must have: --form; else, when the model keeps its corpus's forms
    (`table`), one drawn as that corpus has them for the type (`rng`), always one a plan spells for
    a type asked with --type; else the type's usual form (none for songs and airs). None: free.
    A drawn form closes on the tonic as often as the corpus's tunes of the type do, any other on
    the tonic unless --cadence free, or the tune is a song and --cadence does not ask for it; a tune
    that opens with an anacrusis gives it back as often as the corpus's do."""
    if config.form == "free":
        return None
    asked = bool(config.tune_type)
    tune_type = normalize_type(config.tune_type or "") or tune_type  # the type asked for, if any
    cadence = None if config.cadence is None else config.cadence == "tonic"
    entry = (table or {}).get(tune_type or "")
    if config.form is not None:
        if cadence is None:
            cadence = tune_style(tune_type) != "song"
        plan = parse_form(config.form, config.part_bars or DEFAULT_PART_BARS, cadence)
    elif entry is not None and rng is not None and config.part_bars is None and (entry["plans"] or not asked):
        return draw_plan(entry, rng, cadence, free=not asked)
    else:
        plan = default_plan(tune_type, config.part_bars, cadence)
    if plan is not None and entry is not None and rng is not None:  # the anacrusis given back as the corpus does
        plan = replace(plan, give_back=rng.random() < entry.get("give_back", 0.0))
        plan = replace(plan, last_units=draw_last_units(entry, rng))
    return plan


def primer_segments(config: SampleConfig) -> list[tuple[str, bool]]:
    """The plan: (text, free) pairs. Forced text is fed as is; a free segment ends at a newline."""
    primer = (config.primer or "").replace("\r\n", "\n").replace("\r", "\n")
    if primer.lstrip().startswith("X:"):
        primer = primer.split("\n", 1)[1] if "\n" in primer else ""
    if primer and "K:" in primer:  # a whole header: bring it to the canonical form the model knows
        canonical, _ = normalize_tune(primer)
        primer = canonical if canonical else primer
    chosen = {"T": config.title, "M": config.meter, "K": config.key}
    if not any(chosen.values()):
        return [(primer, False)] if primer else []
    if "K:" in primer:
        raise ConfigError("give header fields either in the primer or with `key`/`meter`/`title`, not both")
    segments: list[tuple[str, bool]] = []
    for field in (field for field in HEADER_ORDER if field != "R"):  # character models write no type
        value = chosen.get(field)
        segments.append((f"{field}:{value.strip()}\n" if value else f"{field}:", False))
        if not value:
            segments.append(("", True))
    if primer:
        segments.append((primer, False))
    return segments


def _abc_token_plan(config: SampleConfig, tokenizer) -> list[list[int] | None]:
    """For the abc tokenizer: forced header tokens for --meter/--key, then the primer's tokens.
    Free header tokens are left to the model (the constraint keeps them in order)."""
    from melody.formats.abc.lexer import LexError, body_tokens, normalize_key, normalize_meter, token_kind, tune_tokens

    primer = (config.primer or "").replace("\r\n", "\n")
    knows_types = any(token.startswith("R:") for token in tokenizer.vocab)
    if config.tune_type and not knows_types:
        raise ConfigError(
            "this model does not know tune types (it was trained without R: tokens); leave out `tune_type`"
        )
    try:
        if "K:" in primer:
            canonical, reason = normalize_tune(primer.split("\n", 1)[1] if primer.startswith("X:") else primer)
            if canonical is None:
                raise ConfigError(f"primer: {reason}")
            if config.key or config.meter or config.tune_type:
                raise ConfigError("give header fields either in the primer or with `tune_type`/`key`/`meter`, not both")
            tokens = tune_tokens(canonical, tokenizer.decorations)
        else:
            header, meter = [f"R:{normalize_type(config.tune_type)}"] if config.tune_type else [], config.meter
            if header and header[0] not in tokenizer.index:  # a type it never saw: its style, in its meter
                usual = TYPE_METERS.get(header[0][2:], (None,))[0]
                header, meter = [f"R:{tune_style(header[0][2:])}"], meter or usual
            for name, value, normal in (("M", meter, normalize_meter), ("K", config.key, normalize_key)):
                if value:
                    spelled = normal(value)
                    if spelled is None:
                        flag = "meter" if name == "M" else "key"
                        raise ConfigError(f"`{flag}` {value!r} is not an ABC {name}: value")
                    header.append(f"{name}:{spelled}")
            for line in primer.split("\n"):
                if re.match(r"^[A-Za-z]:", line.strip()) and line.strip()[0] not in "MLK":
                    raise ConfigError(f"primer: {line.strip()!r} is not music; this model takes titles from `title`")
            tokens = header + (body_tokens(primer, tokenizer.decorations) if primer.strip() else [])
    except LexError as error:
        raise ConfigError(f"primer: {error}") from None
    check_primer(tokens)
    if config.form not in (None, "free") and {"|:", "::"} & set(tokens):
        plan = parse_form(config.form, config.part_bars or DEFAULT_PART_BARS)
        if not plan.sections[0][1]:
            raise ConfigError(
                f"primer: |: repeats the first part, which `form` {config.form} plays once (try `form` AABB)"
            )
    unknown = [t for t in tokens if t not in tokenizer.index]
    if unknown:
        raise ConfigError(f"this model never saw {' '.join(unknown)}; it knows e.g. " + _known(tokenizer, unknown[0]))
    header = {t[0]: tokenizer.index[t] for t in tokens if token_kind(t) == "header"}
    if tokens and len(header) == len(tokens):  # only --type/--meter/--key: the rest of the header is free
        return [[header[f]] if f in header else None for f in ("RMLK" if knows_types else "MLK")]
    if tokens and [t[:2] for t in tokens if not t.startswith("R:")][:3] != ["M:", "L:", "K:"]:
        given = {t[0]: t[2:] for t in tokens if token_kind(t) == "header"}
        music = primer.strip().replace("\n", "\\n")  # as typed in a shell
        example = f"M:{given.get('M', '4/4')}\\nL:1/8\\nK:{given.get('K', 'C')}\\n{music}"
        raise ConfigError(f'a primer for this model starts with its M:, L: and K: fields, e.g. `primer` "{example}"')
    return [[tokenizer.index[t] for t in tokens]] if tokens else []


def check_primer(tokens: list[str]) -> None:
    """A primer is music the model carries on: whatever is already wrong in it (a bar too long, a
    chord inside a chord, a tie to another pitch) is a one-line error, not a tune written broken."""
    from melody.formats.abc.state import check_tokens

    problems = check_tokens(tokens, complete=False)
    if problems:
        raise ConfigError(f"primer: {problems[0]}" + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))


def _check_text_primer(primer: str) -> None:
    """A character model's primer with a whole header is checked as the abc tokens read it."""
    from melody.formats.abc.lexer import LexError, tune_tokens

    primer = primer.replace("\r\n", "\n")
    if "K:" not in primer:
        return
    canonical, reason = normalize_tune(primer.split("\n", 1)[1] if primer.startswith("X:") else primer)
    if canonical is None:
        raise ConfigError(f"primer: {reason}")
    try:
        check_primer(tune_tokens(canonical))
    except LexError as error:
        raise ConfigError(f"primer: {error}") from None


def primer_title(config: SampleConfig) -> str | None:
    """The primer's own T: line, which names the pieces when --title does not."""
    match = re.search(r"^T:(.*)$", (config.primer or "").replace("\r\n", "\n"), re.M)
    return match.group(1).strip() or None if match else None


def _known(tokenizer, token: str) -> str:
    """Tokens of the same kind as `token` that the model knows: meters for a meter, keys for a key."""
    kind = token[:2] if token[:2] in ("R:", "M:", "L:", "K:") else None
    known = [t for t in tokenizer.vocab if t[:2] == kind] if kind else [t for t in tokenizer.vocab if len(t) < 4]
    return " ".join(known[:16])


def primer_plan(config: SampleConfig, tokenizer) -> list[list[int] | None]:
    """The plan in token ids: forced id lists, None for a free line (ABC text) or a free token."""
    tokenizer.require(*asked_options(config))
    return PLANS[tokenizer.plan](config, tokenizer)


def asked_options(config: SampleConfig) -> list[str]:
    """The options (Tokenizer.options) a config asks of a model."""
    asked = {
        "tune_type": config.tune_type,
        "form": config.form not in (None, "free"),
        "cadence": config.cadence,
        "part_bars": config.part_bars,
        "key": config.key,
        "tempo": config.tempo is not None,
        "tracks": config.tracks,
        "accompany": config.accompany is not None,
    }
    return [option for option, given in asked.items() if given]


def type_slot_free(plan: list[list[int] | None]) -> bool:
    """Whether a plan leaves the R: slot of an RMLK header to the model (--key or --meter without
    --type): the mask then asks for a type first. Text and event plans never open so."""
    return len(plan) == 4 and plan[0] is None


def _text_plan(config: SampleConfig, tokenizer) -> list[list[int] | None]:
    """For a character model: the primer and the header fields asked, as text; free lines between."""
    if config.primer_score is not None:
        raise ConfigError("this model writes ABC text; give it an ABC primer")
    _check_text_primer(config.primer or "")
    return [None if free else tokenizer.encode(text, bos=False, eos=False) for text, free in primer_segments(config)]


def _event_plan(config: SampleConfig, tokenizer) -> list[list[int] | None]:
    """For a model of MIDI events: the primer score's ids, or the meter and key tokens asked."""
    if config.primer:
        raise ConfigError("this model writes MIDI events; give it a primer file (.mid, .abc, .musicxml)")
    if config.primer_score is not None:
        return [tokenizer.encode(config.primer_score, bos=False, eos=False)]
    plan: list[list[int] | None] = []
    if config.meter:
        token = "METER_" + config.meter.replace("/", "_")
        if token not in tokenizer.index:
            raise ConfigError(f"this model knows no meter {config.meter!r}")
        plan = [[tokenizer.index[token]]]
    if config.key:  # the header is METER TEMPO KEY: the key comes third
        from melody.tokenizers.events import key_token

        if not normalize_key(config.key):
            raise ConfigError(f"`key` {config.key!r} is not a key (e.g. G, Em, Ddor)")
        plan = [plan[0] if plan else None, None, [tokenizer.index[key_token(config.key)]]]
    return plan


PLANS = {"abc": _abc_token_plan, "text": _text_plan, "events": _event_plan}  # by Tokenizer.plan
