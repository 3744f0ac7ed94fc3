"""ABC text: split tunebooks into tunes, bring each tune to one canonical form, read it with music21.

The canonical form is what the character model learns and writes, so it is kept small and regular:
four header lines in a fixed order (``T: M: L: K:``, no ``X:``: the writer numbers tunes; ``R:`` after
``T:`` when the tune's type is known, in one spelling: ``R:reel``, ``R:slip jig``, ``R:song``), then the
body with comments, lyrics, annotations, chord symbols and non-musical fields removed and runs of spaces collapsed.
A tune in parts is played out in the order its header's ``P:`` gives, each part under its ``P:`` line.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import re
import unicodedata
import warnings
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from melody.errors import InputError
from melody.formats.abc.syntax import default_unit_length, length_suffix, normalize_unit
from melody.music.theory import meter_fraction, normalize_meter
from melody.music.tunes import normalize_type

HEADER_ORDER = ("T", "R", "M", "L", "K")  # R: (the tune type) only where it is known
MAX_ABC_BYTES = 64 * 2**20  # the whole of music21's folk corpus is 8 MB
BODY_FIELDS_KEPT = frozenset("KMLV")  # fields that change how (or in which voice) the notes that follow sound
_FIELD_RE = re.compile(r"^([A-Za-z+]):\s*(.*)$")
_SPACES_RE = re.compile(r"[ \t]+")
_NOTE_RE = re.compile(r"[A-Ga-g]")
_DECORATION_NAME_RE = re.compile(r"![^!\s|\[\]]{1,40}!")
_QUOTED_RE = re.compile(r'"[^"\n]*"?')  # guitar chords and text annotations: not melody
_INLINE_PART_RE = re.compile(r"^\s*\[P:([^\]\n]*)\]")
_INLINE_STATE_RE = re.compile(r"\[([KLM]):([^\]\n]*)\]")
_MULTI_BAR_REST_RE = re.compile(r"[ZX]([0-9]*)")  # X: the same rest, not printed


@dataclass(frozen=True)
class AbcTune:
    """One tune in canonical form, with where it came from (for error messages)."""

    text: str
    source: str
    line: int
    latin1: bool = False  # the file was not UTF-8 and was read as Latin-1
    written: str = ""  # the tune as its file has it, X: line, fields, comments and spacing kept

    @property
    def title(self) -> str:
        return header_fields(self.text).get("T", "")


def decode_abc_bytes(data: bytes) -> tuple[str, bool]:
    """UTF-8 first (a byte-order mark, as Windows editors write, left out, so the first X: is still
    read); UTF-16 where its mark says so; old collections are often Latin-1, which never fails.
    Returns (text, was_latin1)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), False
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig"), False
    except UnicodeDecodeError:
        return data.decode("latin-1"), True


def split_tunes(text: str) -> list[tuple[int, str]]:
    """Split a tunebook on ``X:`` lines (a blank line between tunes is not needed). Returns
    (1-based line number, tune text) pairs."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    tunes: list[tuple[int, list[str]]] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if line.lstrip().startswith("X:"):  # pasted ABC is often indented
            tunes.append((number, []))
        elif tunes:
            tunes[-1][1].append(line)
    return [(number, "\n".join(lines)) for number, lines in tunes]


def file_header(text: str) -> str:
    """The tunebook's own fields, before its first ``X:`` (``M:``, ``L:``, ``R:``...): ABC applies
    them to every tune that does not set its own."""
    lines = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line.lstrip().startswith("X:"):
            break
        if _FIELD_RE.match(line.strip()) and line.strip()[0] not in "XTKVw":
            lines.append(line.strip())
    return "\n".join(lines)


def legacy_line_breaks(line: str, always: bool = False) -> str:
    """``!`` as the line break of older ABC (abc2win, ABC 1.6) becomes a space; ``!trill!`` and
    other decorations stay. A ``!`` is a decoration's only when it pairs with the next one on its
    line around a name (no space or bar line inside); ``I:linebreak !`` makes every ``!`` a break."""
    if "!" not in line:
        return line
    if always:
        return line.replace("!", " ")
    out, position = [], 0
    while position < len(line):
        found = _DECORATION_NAME_RE.match(line, position) if line[position] == "!" else None
        if found:
            out.append(found.group(0))
            position = found.end()
            continue
        out.append(" " if line[position] == "!" else line[position])
        position += 1
    return "".join(out)


def _clean_body_line(line: str) -> str:
    if "%" in line:
        line = line[: line.index("%")]
    line = "".join(ch for ch in line if ch != "`" and unicodedata.category(ch) != "Cc")
    return _SPACES_RE.sub(" ", line).strip()


def normalize_tune(raw: str, book_header: str = "", default_type: str | None = None) -> tuple[str | None, str]:
    """Canonical text of one tune (without ``X:``), or (None, reason) when it cannot be used.
    `book_header`: the tunebook's fields before its first tune, which the tune's own override.
    `default_type`: the type of a tune whose ``R:`` names none we know (a collection's style)."""
    header: dict[str, str] = {}
    body: list[str] = []
    parts: dict[str, int] = {}  # a body P: label -> where its part starts in `body`
    order = ""  # the header's P: (ABBA): the order in which abc2midi plays the parts
    in_body = False
    bang_breaks = bool(re.search(r"^I:\s*linebreak\s.*!|\[I:\s*linebreak\s[^\]]*!", raw, re.M))
    for line in (book_header + "\n" + raw if book_header else raw).split("\n"):
        if not in_body:
            stripped = line.strip()
            if not stripped or stripped.startswith("%"):
                continue
            match = _FIELD_RE.match(stripped)
            if not match:
                continue  # free text before K: is not part of the tune
            field, value = match.group(1), _clean_body_line(match.group(2))
            if field == "V":
                continue  # voice declarations before K:; the body's V: lines say where each voice goes
            if field == "T" and "T" in header:
                continue  # keep the first title only
            if field == "R":
                value = normalize_type(value) or header.get("R", "")
            if field == "P":
                order = value
            if field == "M":
                value = normalize_meter(value) or value
            if field in HEADER_ORDER:
                header[field] = value
            if field == "K":
                in_body = True
            continue
        if not line.strip():
            if body:
                break  # a blank line ends the tune
            continue
        if line.lstrip().startswith("%"):
            continue
        line = legacy_line_breaks(line, bang_breaks)
        inline_part = _INLINE_PART_RE.match(line)
        if inline_part:  # [P:A] opening a line, as P:A on its own would
            parts.setdefault(_clean_body_line(inline_part.group(1))[:1], len(body))
            line = line[inline_part.end() :]
        match = _FIELD_RE.match(line.strip())
        if match and len(match.group(1)) == 1:
            if match.group(1) == "P":
                parts.setdefault(_clean_body_line(match.group(2))[:1], len(body))
            elif match.group(1) in "KML" and not body:  # K: first, then M: and L: (as abc2midi reads them)
                value = _clean_body_line(match.group(2))
                header[match.group(1)] = normalize_meter(value) or value if match.group(1) == "M" else value
            elif match.group(1) in BODY_FIELDS_KEPT:
                body.append(f"{match.group(1)}:{_clean_body_line(match.group(2))}")
            continue
        cleaned = _clean_body_line(_QUOTED_RE.sub("", line).replace("*", ""))  # abc2midi passes over a `*`
        if cleaned:
            body.append(cleaned)
    if "K" not in header:
        return None, "no K: field"
    if not header.get("M"):
        return None, "no M: field"
    if not any(_NOTE_RE.search(line) for line in body if not _FIELD_RE.match(line)):
        return None, "no notes in body"
    header.setdefault("L", default_unit_length(header["M"]))
    body = _multi_bar_rests(body, header)
    if order:
        body = parts_played(body, parts, order, header)
    header.setdefault("T", "Untitled")
    header["T"] = header["T"] or "Untitled"
    header["R"] = header.get("R") or default_type or ""
    lines = [f"{field}:{header[field]}" for field in HEADER_ORDER if header.get(field)] + body
    return "\n".join(lines) + "\n", ""


def _multi_bar_rests(body: list[str], header: dict[str, str]) -> list[str]:
    """``Z`` and ``Z4`` (rests of one and of four whole bars, ABC 2.1; ``X``, unprinted) as a rest of
    the bar's length in each bar, as abc2midi plays them; left as they are in free meter."""
    meter, unit, out = header["M"], header["L"], []
    for line in body:
        match = _FIELD_RE.match(line)
        if match:
            meter = match.group(2) if match.group(1) == "M" else meter
            unit = match.group(2) if match.group(1) == "L" else unit
        elif ("Z" in line or "X" in line) and (rest := _bar_rest(meter, unit)):
            line = _MULTI_BAR_REST_RE.sub(lambda found: "|".join([rest] * min(int(found.group(1) or 1), 256)), line)
        out.append(line)
    return out


def _bar_rest(meter: str, unit: str) -> str | None:
    """A rest as long as a bar (``z8`` in 4/4 with eighths as the unit), None in free meter."""
    bar, length = meter_fraction(normalize_meter(meter) or ""), normalize_unit(unit)
    return "z" + length_suffix(bar / Fraction(length)) if bar and length else None


def parts_played(body: list[str], parts: dict[str, int], order: str, header: dict[str, str]) -> list[str]:
    """The body with its parts (P:A, P:B lines) in the order the header's P: gives, as abc2midi
    plays them: P:ABA, P:A2B, P:(AB)2C; music before the first part opens it. Each part keeps its
    P: line, which tells the reader of repeats (syntax.repeats_in_parts) that the tune is in
    parts, and is preceded by the key, meter and unit it was written in where those changed. As
    written, with each P: line in its place, when the order is not one or names a part the body lacks."""
    if not parts:
        return body
    starts = sorted(parts.values())
    sequence = _part_sequence(order)
    if not sequence or any(label not in parts for label in sequence):
        labelled = list(body)
        for label, start in sorted(parts.items(), key=lambda item: -item[1]):
            labelled.insert(start, f"P:{label}")
        return labelled
    lines = {label: body[start : next((s for s in starts if s > start), len(body))] for label, start in parts.items()}
    opening = {label: _fields_in_force(body[:start], header) for label, start in parts.items()}
    played = body[: starts[0]]
    in_force = _fields_in_force(played, header)
    for label in sequence:
        changed = {field: value for field, value in opening[label].items() if in_force[field] != value}
        played += [f"P:{label}"] + [f"{field}:{value}" for field, value in changed.items()] + lines[label]
        in_force = _fields_in_force(lines[label], opening[label])
    return played


def _fields_in_force(lines: list[str], start: dict[str, str]) -> dict[str, str]:
    """Key, meter and unit length after `lines` (field lines and inline fields), from `start`'s."""
    fields = {field: start.get(field, "") for field in "KML"}
    for line in lines:
        match = _FIELD_RE.match(line)
        if match and match.group(1) in fields:
            fields[match.group(1)] = match.group(2).strip()
        elif not match:
            for found in _INLINE_STATE_RE.finditer(line):
                fields[found.group(1)] = found.group(2).strip()
    return fields


def _part_sequence(order: str) -> list[str] | None:
    """P:A2(BC)2 -> A A B C B C; None for what is not a part order."""
    stack: list[list[str]] = [[]]
    last: list[str] = []
    for char in order.replace(" ", "").replace(".", ""):
        if char.isalpha() and char.isupper():
            last = [char]
            stack[-1].append(char)
        elif char.isdigit() and last:
            stack[-1] += last * (int(char) - 1)
            last = []
        elif char == "(":
            stack.append([])
        elif char == ")" and len(stack) > 1:
            last = stack.pop()
            stack[-1] += last
        else:
            return None
    return stack[0] if len(stack) == 1 and len(stack[0]) > 1 else None


def header_fields(text: str) -> dict[str, str]:
    """The header fields of a tune (first value of each field, up to and including ``K:``)."""
    fields: dict[str, str] = {}
    for line in text.split("\n"):
        match = _FIELD_RE.match(line.strip())
        if not match:
            break
        fields.setdefault(match.group(1), match.group(2).strip())
        if match.group(1) == "K":
            break
    return fields


def tune_body(text: str) -> str:
    """The body of a canonical tune: every line after its header's ``K:`` line ("" without one)."""
    lines = text.split("\n")
    for index, line in enumerate(lines):
        match = _FIELD_RE.match(line.strip())
        if not match:
            return ""
        if match.group(1) == "K":
            return "\n".join(lines[index + 1 :])
    return ""


def read_abc_text(
    text: str, source: str, latin1: bool = False, default_type: str | None = None
) -> tuple[list[AbcTune], dict[str, int]]:
    """All usable tunes of one tunebook, and a count of the tunes dropped by reason."""
    tunes: list[AbcTune] = []
    dropped: dict[str, int] = {}
    book_header = file_header(text)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for line, raw in split_tunes(text):
        canonical, reason = normalize_tune(raw, book_header, default_type)
        if canonical is None:
            dropped[reason] = dropped.get(reason, 0) + 1
        else:
            tunes.append(AbcTune(canonical, source, line, latin1, f"{lines[line - 1]}\n{raw}".rstrip("\n") + "\n"))
    return tunes, dropped


def read_abc_file(path: str | Path, default_type: str | None = None) -> tuple[list[AbcTune], dict[str, int]]:
    """Read one ``.abc`` file. Raises InputError when the file holds no usable tune at all."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_ABC_BYTES:
            raise InputError(
                f"file larger than {MAX_ABC_BYTES // 2**20} MB; split it into smaller tunebooks", str(path)
            )
        data = path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read file: {error.strerror}", str(path)) from None
    text, latin1 = decode_abc_bytes(data)
    if "\x00" in text[:4096]:
        raise InputError("binary data, not ABC text", str(path))
    if not text.strip():
        raise InputError("empty file", str(path))
    tunes, dropped = read_abc_text(text, str(path), latin1, default_type)
    if not tunes:
        if not dropped:
            raise InputError("no tunes found (an ABC tune starts with an X: line)", str(path))
        reasons = ", ".join(f"{count} {reason}" for reason, count in sorted(dropped.items()))
        raise InputError(f"no usable tunes ({reasons})", str(path))
    return tunes, dropped


def tune_to_abc(text: str, number: int = 1, title: str | None = None) -> str:
    """A complete ABC tune: ``X:`` first, ``T:`` second, the other header fields, ``K:`` last."""
    lines = text.rstrip("\n").split("\n")
    fields: dict[str, str] = {}
    body_start = len(lines)
    for index, line in enumerate(lines):
        match = _FIELD_RE.match(line)
        if not match:
            body_start = index
            break
        fields.setdefault(match.group(1), match.group(2).strip())
        if match.group(1) == "K":
            body_start = index + 1
            break
    if title is not None:
        fields["T"] = title
    key = fields.pop("K", "C")
    ordered = [f"X:{number}", f"T:{fields.pop('T', 'Untitled')}"]
    ordered += [f"{field}:{value}" for field, value in fields.items()]
    ordered.append(f"K:{key}")
    return "\n".join(ordered + lines[body_start:]) + "\n"


def abc_to_stream(abc: str, source: str = "<abc>"):
    """Parse one ABC tune with music21. Raises InputError when music21 cannot read it."""
    from music21 import converter, stream

    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):  # music21 prints warnings
        warnings.simplefilter("ignore")
        try:
            parsed = converter.parse(abc, format="abc")
        except Exception as error:  # music21 raises many unrelated types on bad ABC
            raise InputError(f"music21 cannot parse this ABC: {error}", source) from None
    if isinstance(parsed, stream.Opus):
        scores = list(parsed.scores)
        if not scores:
            raise InputError("music21 found no tune in this ABC", source)
        parsed = scores[0]
    return parsed
