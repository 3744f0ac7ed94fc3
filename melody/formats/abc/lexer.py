"""Cut canonical ABC into musical tokens: one token per note (accidental and octave included),
duration, rest, bar line, repeat, ending, tuplet, chord or grace bracket, tie, slur, broken rhythm,
decoration and header field, each in one normal spelling (``|1`` and ``[1`` are one token).

The abc tokenizer learns these tokens; the bar checker and the constrained sampler read their
timing from them, so all three agree on what a tune means.
"""

from __future__ import annotations

import functools
import re
from fractions import Fraction

from melody.formats.abc.syntax import (
    BARS,
    BROKEN_NEXT,
    BROKEN_SHIFT,
    CUE_KINDS,
    CUE_PREFIX,
    DECORATION_LETTERS,
    RESERVED_LETTERS,
    ImpliedRepeats,
    LexError,
    bar_token,
    length_token,
    normalize_unit,
    parse_length,
    repeats_in_parts,
)
from melody.formats.abc.text import header_fields, tune_body
from melody.music.theory import normalize_key, normalize_meter
from melody.music.tunes import normalize_type

HEADER_TOKENS = ("R", "M", "L", "K")  # the title is text, not music: the abc tokenizer leaves it out
HEADER_PREFIXES = tuple(f"{field}:" for field in HEADER_TOKENS)
_DECORATION_CLASS = "[" + re.escape("".join(sorted(DECORATION_LETTERS))) + "]"
_TOKEN_RE = re.compile(
    r"(?P<space>[ \t\n\\y]+)"
    r"|(?P<field>\[[KLMV]:[^\]\n]*\])"
    r"|(?P<skipfield>\[[A-Za-z]:[^\]\n]*\])"
    r"|(?P<bar>:*\[\|:*|:*\|[\]|]?:*|::+)(?P<barending>[0-9][0-9,\-]*)?"
    r"|(?P<overlay>&)"
    r"|(?P<stray>:)"  # a colon outside a bar line, as at the start of a line: abc2midi passes over it
    r"|(?P<ending>\[[0-9][0-9,\-]*)"
    r"|(?P<tuplet>\([2-9](?::[0-9]*){0,2})"
    r"|(?P<deco>![^!\n]*!|\+[^+\n]*\+|" + _DECORATION_CLASS + ")"
    r"|(?P<reserved>[" + "".join(sorted(RESERVED_LETTERS)) + "])"
    r"|(?P<note>(?:\^\^|__|\^|_|=)?[A-Ga-g][,']*|[zx])(?P<length>[0-9]*/*[0-9]*)"
    r"|(?P<broken><<?|>>?)"
    r"|(?P<chordclose>\])(?P<chordlength>[0-9]*/*[0-9]*)"
    r"|(?P<other>\{/?|[-()\[}])"  # {/ opens grace notes too (an acciaccatura)
)
_LINE_FIELD_RE = re.compile(r"^([A-Za-z]):(.*)$")
_NOTE_RE = re.compile(r"[A-Ga-gz]")
_NOT_NOTES_RE = re.compile(r"\[[A-Za-z]:[^\]\n]*\]|![^!\n]*!|\+[^+\n]*\+")  # inline fields, decorations
_VOICE_RE = re.compile(r"^V:(.*)$|\[V:([^\]\n]*)\]", re.M)


def tuplet_token(text: str) -> str:
    parts = text[1:].split(":")
    if len(parts) == 1 or (parts[1] == "" and all(part in ("", parts[0]) for part in parts[2:])):
        return f"({parts[0]}"
    return text


def header_tokens(text: str) -> list[str]:
    fields = header_fields(text)
    meter = normalize_meter(fields.get("M", ""))
    if meter is None:
        raise LexError(f"meter M:{fields.get('M', '')} is not one the abc tokens know")
    unit = normalize_unit(fields.get("L", ""))
    if unit is None:
        raise LexError(f"unit length L:{fields.get('L', '')} is not 1/n for n a power of two")
    key = normalize_key(fields.get("K", ""))
    if key is None:
        raise LexError(f"key K:{fields.get('K', '')} is not one the abc tokens know")
    tune_type = normalize_type(fields.get("R", ""))
    return ([f"R:{tune_type}"] if tune_type else []) + [f"M:{meter}", f"L:{unit}", f"K:{key}"]


def _field_token(field: str, value: str) -> str | None:
    if field == "K":
        key = normalize_key(value)
        if key is None:
            raise LexError(f"key K:{value} in the body is not one the abc tokens know")
        return f"[K:{key}]"
    if field == "M":
        meter = normalize_meter(value)
        if meter is None:
            raise LexError(f"meter M:{value} in the body is not one the abc tokens know")
        return f"[M:{meter}]"
    if field == "L":
        unit = normalize_unit(value)
        if unit is None:
            raise LexError(f"unit length L:{value} in the body is not 1/n for n a power of two")
        return f"[L:{unit}]"
    return None


def voice_names(body: str) -> list[str]:
    """The voices of a tune body in the order they first appear (``V:`` lines and ``[V:]`` fields).
    Music before the first of them is voice 1's, as abc2midi plays it: named "1", or "" when no
    field names a voice 1."""
    found = list(_VOICE_RE.finditer(body))
    values = [(match.group(1) or match.group(2) or "").split() for match in found]
    names = list(dict.fromkeys(words[0] for words in values if words))
    before = _NOT_NOTES_RE.sub("", body[: found[0].start()] if found else "")
    if any(_NOTE_RE.search(line) for line in before.split("\n") if not _LINE_FIELD_RE.match(line.strip())):
        first = "1" if "1" in names else ""
        names = [first] + [name for name in names if name != first]
    return names


def voice_count(body: str) -> int:
    """How many voices a tune body has (1 without ``V:`` fields)."""
    return max(1, len(voice_names(body)))


def body_tokens(body: str, decorations: bool = True, voice_name: str | None = None) -> list[str]:
    """Tokens of a tune body: of its first voice, the melody, when it has several (the tokens
    spell one line of music), or of the voice named. In a tune in voices or in parts (``P:`` lines,
    which the canonical form keeps where the header orders parts) the repeat signs are spelled as
    abc2midi reads such a tune (syntax.repeats_in_parts). Raises LexError on anything the token
    set cannot spell."""
    tokens: list[str] = []
    part_starts: list[int] = []
    names = voice_names(body)
    voice = names[0] if names else None  # the voice being read; music before any V: is the first's
    melody_voice = voice if voice_name is None else voice_name
    overlaid = False  # after a & in a bar: a second voice laid over it, up to the bar line
    for line in body.split("\n"):
        match = _LINE_FIELD_RE.match(line.strip())
        if match:
            if match.group(1) == "P":
                part_starts.append(len(tokens))
            elif match.group(1) == "V":
                voice = match.group(2).split()[0] if match.group(2).split() else voice
            elif voice == melody_voice and (token := _field_token(match.group(1), match.group(2))):
                tokens.append(token)
            continue
        position = 0
        while position < len(line):
            found = _TOKEN_RE.match(line, position)
            if not found:
                if voice != melody_voice:
                    break  # another voice's line: not read
                raise LexError(f"cannot read {line[position : position + 12]!r}")
            position = found.end()
            groups = found.groupdict()
            if groups["field"] is not None and groups["field"][1] == "V":
                voice = groups["field"][3:-1].split()[0] if groups["field"][3:-1].split() else voice
                continue
            if any(groups[name] is not None for name in ("space", "skipfield", "reserved", "stray")):
                continue  # spacing, fields that are not music, symbols with no meaning here
            if voice != melody_voice:
                continue
            if groups["overlay"] is not None or (overlaid and groups["bar"] is None):
                overlaid = True  # the melody is what the bar held before its first &
                continue
            overlaid = False
            if groups["field"] is not None:
                field, value = groups["field"][1:-1].split(":", 1)
                token = _field_token(field, value)
                if token:
                    tokens.append(token)
            elif groups["bar"] is not None:
                tokens.append(bar_token(groups["bar"]))
                if groups["barending"]:
                    tokens.append("[" + groups["barending"])
            elif groups["ending"] is not None:
                tokens.append(groups["ending"])
            elif groups["tuplet"] is not None:
                tokens.append(tuplet_token(groups["tuplet"]))
            elif groups["deco"] is not None:
                if decorations:
                    tokens.append(groups["deco"])
            elif groups["chordclose"] is not None:
                tokens.append("]")
                if groups["chordlength"] and parse_length(groups["chordlength"]) != 1:
                    tokens.append(length_token(parse_length(groups["chordlength"])))  # ABC 2.1: [CE]2
            elif groups["note"] is not None:
                tokens.append("z" if groups["note"] == "x" else groups["note"])
                if groups["length"]:
                    value = parse_length(groups["length"])
                    if value != 1:
                        tokens.append(length_token(value))
            else:
                tokens.append("{" if found.group(0) == "{/" else found.group(0))  # broken rhythm, tie, slur, bracket
    if part_starts or len(names) > 1:
        return repeats_in_parts(tokens, part_starts)
    return tokens


def tune_tokens(text: str, decorations: bool = True, voice_name: str | None = None) -> list[str]:
    """Header tokens (type where known, meter, unit, key) then body tokens of one canonical tune (of
    its melody, or of the voice named). Tokenizing, the checker, the player and the statistics all
    read the same tune: it is cut once and remembered."""
    return list(_cached_tune_tokens(text, decorations, voice_name))


@functools.lru_cache(maxsize=32768)
def _cached_tune_tokens(text: str, decorations: bool, voice_name: str | None) -> tuple[str, ...]:
    head = header_tokens(text)
    body = tune_body(text)
    tokens = body_tokens(body, decorations, voice_name)
    if not any(token_kind(token) == "note" for token in tokens):
        raise LexError("no notes")
    return tuple(head + tokens)


def tune_type(tokens: list[str]) -> str | None:
    """The type a tune's ``R:`` token names, or None."""
    return next((token[2:] for token in tokens[:1] if token.startswith("R:")), None)


@functools.lru_cache(maxsize=1 << 16)  # the sampler asks for every token of every tune: 0.1 us, not 2
def token_kind(token: str) -> str:
    """What a token is: header, field, bar, ending, tuplet, deco, note, rest, length, broken, tie,
    chord_open, chord_close, grace_open, grace_close, slur_open, slur_close; part and register (cues,
    no ABC: syntax.CUE_KINDS)."""
    first = token[0]
    if token[:2] == CUE_PREFIX:
        return "part"
    if first == "%":
        return "register"
    if token[:2] in HEADER_PREFIXES:
        return "header"
    if first == "[" and len(token) > 2 and token[2] == ":":
        return "field"
    if token in BARS:
        return "bar"
    if first == "[" and len(token) > 1 and token[1].isdigit():
        return "ending"
    if first == "(" and len(token) > 1:
        return "tuplet"
    if first in "!+" or token in DECORATION_LETTERS:
        return "deco"
    if token == "z":
        return "rest"
    if token.lstrip("_^=")[:1] in tuple("ABCDEFGabcdefg"):
        return "note"
    if first.isdigit() or first == "/":
        return "length"
    if first in "<>":
        return "broken"
    return {
        "-": "tie",
        "[": "chord_open",
        "]": "chord_close",
        "{": "grace_open",
        "}": "grace_close",
        "(": "slur_open",
        ")": "slur_close",
    }[token]


def explicit_repeat_starts(tokens: list[str]) -> list[str]:
    """`tokens` with a `|:` opening each repeat that only a later `:|` implies (syntax.ImpliedRepeats:
    the same rule the player follows). Folk ABC often writes `A part :| B part :|`; abc2midi then
    plays B twice but warns "Assuming repeat", as the standard leaves that second repeat's start
    unsaid. Written out, the same music reads without warnings. The tune's start needs no sign, and
    a section that opens with an ending is left as it is (no bar line there to name)."""
    out: list[str] = []
    repeats, section_start = ImpliedRepeats(), None  # where the current section begins in `out`
    for token in tokens:
        kind = token_kind(token)
        if kind == "ending":
            if section_start == len(out):
                section_start = None
            repeats.ending(token[1:])
        elif kind == "bar":
            implied, new_section = repeats.bar(token)
            if implied and section_start is not None and section_start < len(out) and out[section_start] != "|:":
                out.insert(section_start, "|:")
            if new_section:
                out.append(token)
                section_start = len(out)
                continue
        out.append(token)
    return out


def tokens_to_abc(tokens: list[str], title: str = "Untitled", bars_per_line: int = 4) -> str:
    """Canonical ABC text that spells `tokens`: header lines, then the body, a few bars per line."""
    header = {token[0]: token[2:] for token in tokens if token_kind(token) == "header"}
    lines = [f"T:{title}"] + ([f"R:{header['R']}"] if "R" in header else [])
    lines += [f"M:{header.get('M', '4/4')}", f"L:{header.get('L', '1/8')}", f"K:{header.get('K', 'C')}"]
    line, bars, music = "", 0, False  # music: notes since the last bar line counted
    body = [token for token in tokens if token_kind(token) != "header" and token_kind(token) not in CUE_KINDS]
    for index, token in enumerate(body):
        kind = token_kind(token)
        music = music or kind in ("note", "rest")
        if kind == "ending" and index and body[index - 1] in ("|", ":|"):
            line += token[1:]  # |1 and :|2; after || or |] abc2midi needs the bracket: ||[1
        elif kind == "note" and line and line[-1] not in "|:[({-~.!+ " and token_kind(body[index - 1]) == "length":
            line += " " + token
        else:
            line += token
        following = body[index + 1] if index + 1 < len(body) else None
        if kind == "bar" or (kind == "ending" and line[-1].isdigit()):
            if following is not None and token_kind(following) == "ending":
                continue
            if not music:  # a |: before any music, or the |: after a :|, closes no bar
                line += " " if following is not None else ""
                continue
            bars, music = bars + 1, False
            if bars % bars_per_line == 0 and following is not None:
                lines.append(line)
                line = ""
            elif following is not None:
                line += " "
    if body and token_kind(body[-1]) != "bar":
        line += "|]"  # a tune the model ended mid-line still closes with a bar line
    if line:
        lines.append(line)
    return "\n".join(lines) + "\n"


def bar_text(tokens: list[str]) -> str:
    """The body text of one bar's tokens (no bar line), spelled as `tokens_to_abc` spells a tune."""
    return tokens_to_abc(tokens + ["|"], bars_per_line=1_000).splitlines()[-1].rstrip("|").rstrip()


def explicit_rhythm(tokens: list[str]) -> list[str]:
    """`tokens` with each broken rhythm (``A>B``) written as the lengths it stands for
    (``A3/2 B/2``): the same music, for readers such as music21 that lose ``>`` next to slurs and
    decorations."""
    items: list[list[str]] = []  # an element (note, rest or chord, with its length) or one token
    chord = grace = False
    for token in tokens:
        kind = token_kind(token)
        if kind == "length" and items and items[-1][0] == "element":
            items[-1].append(token)
            continue
        if chord:
            items[-1].append(token)
            chord = kind != "chord_close"
            continue
        grace = (grace or kind == "grace_open") and kind != "grace_close"
        if kind in ("note", "rest") and not grace or kind == "chord_open":
            items.append(["element", token])
            chord = kind == "chord_open"
        else:
            items.append(["token", token])
    factors = [Fraction(1)] * len(items)
    last = None  # index of the last element
    waiting = None  # the factor the next element takes
    for index, (what, *body) in enumerate(items):
        if what == "element":
            if waiting is not None:
                factors[index], waiting = waiting, None
            last = index
        elif token_kind(body[0]) == "broken" and last is not None:
            factors[last] *= 1 + BROKEN_SHIFT[body[0]]
            waiting, last = BROKEN_NEXT[body[0]], None
    out: list[str] = []
    for (what, *body), factor in zip(items, factors):
        if what == "token":
            if token_kind(body[0]) != "broken":
                out += body
            continue
        length = parse_length(body[-1]) if token_kind(body[-1]) == "length" else Fraction(1)
        music = body[:-1] if token_kind(body[-1]) == "length" else body
        out += music + ([length_token(length * factor)] if length * factor != 1 else [])
    return out
