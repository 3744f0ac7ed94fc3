"""What the CLI commands that learn and write music do: read flags, call the library, show the result
(cli/play_commands.py holds those that hear, see, convert and serve it)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from melody.cli.console import counting_progress, print_json, say, show, training_progress
from melody.errors import ConfigError
from melody.network.config import ModelConfig
from melody.sampling.config import SampleConfig
from melody.training.config import TrainConfig


def _prepare(corpus: list[str], tokenizer: str, val_fraction: float, use_cache: bool = True, **options):
    from melody.training.data import prepare_corpus

    with counting_progress("reading corpus") as update:
        return prepare_corpus(corpus, tokenizer, val_fraction, use_cache=use_cache, progress=update, **options)


def _report_skipped(summary: dict) -> None:
    for note in summary.get("notes", []):
        say(f"[dim]note[/] {note['file']}: {note['note']}")
    for failure in summary["failed_files"]:
        say(f"[yellow]skipped[/] {failure['file']}: {failure['error']}")
    if summary["failed_files"]:
        say(f"skipped {len(summary['failed_files'])} files that could not be read")
    if summary["dropped"]:
        say("left out " + ", ".join(_left_out(reason, n) for reason, n in sorted(summary["dropped"].items())))
    _report_duplicates(summary)
    if summary.get("unlearnable"):
        say(f"left out {summary['unlearnable']} tunes of the folk books in free meter or dances in sixteenths")
    if summary.get("unclean"):
        say(f"left out {summary['unclean']} tunes with a bar that does not fit the meter (--no-clean keeps them)")
    if summary.get("untokenizable"):
        say(f"left out {summary['untokenizable']} tunes the tokenizer cannot spell")


def _report_duplicates(summary: dict) -> None:
    """How many pieces repeated one already read (each is kept once), and a few of their files."""
    if not summary.get("duplicates"):
        return
    files = summary.get("duplicate_files", [])
    examples = ", ".join(f"{Path(d['file']).name} (= {Path(d['same_as']).name})" for d in files[:3])
    more = f" and {len(files) - 3} more" if len(files) > 3 else ""
    say(f"left out {summary['duplicates']} duplicates, each piece kept once" + (f": {examples}{more}" if files else ""))


def _left_out(reason: str, count: int) -> str:
    """A count of what a reader left out, in its own unit: notes and marks say so, whole files
    (played freely) and pieces are named."""
    from melody.training.data import OFF_GRID

    if reason.endswith("notes") or " marks " in reason:
        return f"{count} {reason}"
    if reason == OFF_GRID:
        return f"{count} {'file' if count == 1 else 'files'} {reason}"
    return f"{count} {'piece' if count == 1 else 'pieces'} ({reason})"


def track_choice(args: argparse.Namespace):
    """The MIDI tracks `--tracks` and `--no-drums` keep."""
    from melody.formats.corpus import TrackChoice

    tracks = tuple(t.strip() for t in args.tracks.split(",") if t.strip()) if getattr(args, "tracks", None) else None
    return TrackChoice(tracks, not getattr(args, "no_drums", False))


def from_args(cls, args: argparse.Namespace, **given):
    """A config dataclass from the flags whose names (argparse dests) are its fields, and `given`; a
    flag left unset (None) takes the dataclass's default."""
    from dataclasses import fields

    values = {f.name: getattr(args, f.name) for f in fields(cls) if getattr(args, f.name, None) is not None}
    return cls(**values | given)


def run_train(args: argparse.Namespace) -> int:
    from melody.training import distributed
    from melody.training.runs import default_run_dir, free_run_dir, recorded_corpus, resume_run

    if args.resume and not args.corpus:
        _take_recorded_corpus(args, recorded_corpus(args.resume))
    if not args.corpus:
        raise ConfigError("name a `corpus` to train on: a folder, a file or 'folk'")
    run_dir = args.resume or args.out or default_run_dir(args.corpus)
    if not args.resume:
        free_run_dir(run_dir, args.force)  # before minutes of reading the corpus
    corpus = _training_corpus(args)
    limits = {"epochs": args.epochs, "max_steps": args.max_steps, "max_minutes": args.max_minutes}
    with _rank_zero_progress() as on_event:
        if args.resume:
            trainer = resume_run(corpus, run_dir, on_event, **limits)
        else:
            trainer = _start_run(args, corpus, run_dir, on_event, limits)
        try:
            result = trainer.run()
        except KeyboardInterrupt:
            say(f"interrupted: checkpoint saved in {trainer.run_dir}; continue with --resume {trainer.run_dir}")
            raise
        finally:
            distributed.stop()
    if trainer.rank == 0:
        _print_training(result, trainer, args.json)
    return 0


def _start_run(args: argparse.Namespace, corpus, run_dir, on_event, limits: dict):
    """A new run from the flags; no limit given: the config's epochs."""
    from melody.training.runs import start_run

    limits = limits if any(v is not None for v in limits.values()) else {}
    model_config = from_args(ModelConfig, args, vocab_size=len(corpus.tokenizer))
    config = from_args(TrainConfig, args, **limits)
    trainer, carried = start_run(corpus, model_config, config, run_dir, on_event, args.force)
    if carried is not None and not args.json:
        tokens = len(corpus.tokenizer)
        say(f"starting from {trainer.config.init_from}: {carried} of {tokens} tokens carried over")
    return trainer


def _rank_zero_progress():
    """The training progress display; under torchrun only rank 0 shows one."""
    import contextlib
    import os

    return training_progress() if int(os.environ.get("RANK", "0")) == 0 else contextlib.nullcontext(lambda event: None)


def _take_recorded_corpus(args: argparse.Namespace, recorded: dict) -> None:
    """`train --resume RUN` with no corpus: the corpus and reading options the run was made with."""
    args.corpus, args.tokenizer = recorded["corpus"], recorded["tokenizer"]
    args.clean, args.val_fraction = recorded["clean"], recorded["val_fraction"]
    args.no_decorations = not recorded["decorations"]


def _training_corpus(args: argparse.Namespace):
    corpus = _prepare(
        args.corpus,
        args.tokenizer,
        args.val_fraction,
        not args.no_cache,
        clean=args.clean,
        decorations=not args.no_decorations,
        choice=track_choice(args),
    )
    _report_skipped(corpus.summary)
    if args.tokenizer == "auto" and not args.json:
        say(f"tokenizer: {corpus.summary['tokenizer']} ({corpus.summary['tokenizer_reason']}; --tokenizer chooses)")
    if corpus.summary.get("multi_voice"):
        say(f"{corpus.summary['multi_voice']} tunes have several voices: the abc tokens learn the first (the melody)")
    return corpus


def _print_training(result: dict, trainer, as_json: bool) -> None:
    if as_json:
        print_json(result)
        return
    val = result["val_bits_per_token"]
    say(
        f"trained {result['steps']} steps in {result['minutes']} min; validation {val:.4f} bits/token"
        if val is not None
        else "no validation split"
    )
    say(f"model: {result['checkpoint']}")
    if trainer.epoch == 0:
        share = trainer.step / trainer.steps_per_epoch()
        say(
            f"[yellow]warning:[/] the run ended before one epoch ({trainer.step} of the "
            f"{trainer.steps_per_epoch()} steps an epoch needs, {share:.0%}): the model has not seen every piece; "
            f"--resume {trainer.run_dir} carries it on"
        )


def run_corpus(args: argparse.Namespace) -> int:
    from collections import Counter

    from melody.formats.abc.text import header_fields
    from melody.formats.corpus import SCORE_SUFFIXES, corpus_files, load_corpus

    files = corpus_files(args.corpus)
    if sum(p.suffix.lower() in SCORE_SUFFIXES for p in files) > len(files) / 2:
        return _score_corpus(args, files)
    with counting_progress("reading corpus") as update:
        corpus = load_corpus(args.corpus, progress=update, files=files, choice=track_choice(args))
    headers = [header_fields(text) for text in corpus.pieces]
    summary = corpus.summary() | {
        "characters": sum(len(text) for text in corpus.pieces),
        "keys": dict(Counter(h.get("K", "?") for h in headers).most_common(12)),
        "meters": dict(Counter(h.get("M", "?") for h in headers).most_common(12)),
    }
    if args.check:
        from melody.formats.abc.checker import check_corpus

        summary["check"] = check_corpus(corpus.pieces, corpus.sources)
    if args.json:
        print_json(summary)
    else:
        _print_abc_corpus(summary)
    return 0


def _print_abc_corpus(summary: dict) -> None:
    from rich.table import Table

    if "check" in summary:
        _print_check(summary["check"])
    table = Table(title="corpus", show_header=False)
    for name in ("files", "pieces", "characters", "duplicates"):
        table.add_row(name, str(summary[name]))
    table.add_row("failed files", str(len(summary["failed_files"])))
    table.add_row("dropped pieces", ", ".join(f"{n} {r}" for r, n in summary["dropped"].items()) or "0")
    table.add_row("keys", ", ".join(f"{k} {n}" for k, n in summary["keys"].items()))
    table.add_row("meters", ", ".join(f"{k} {n}" for k, n in summary["meters"].items()))
    from melody.cli.console import err

    err.print(table)
    _report_skipped(summary)


def _score_corpus(args: argparse.Namespace, files: list[Path]) -> int:
    """`melody corpus` on MIDI: a table per file (tracks, roles, grid fit, meter declared and found)."""
    from rich.table import Table

    from melody.cli.console import err
    from melody.formats.corpus import load_corpus
    from melody.formats.corpus_report import score_corpus_report

    with counting_progress("reading corpus") as update:
        corpus = load_corpus(args.corpus, "score", progress=update, files=files, choice=track_choice(args))
    report = score_corpus_report(corpus.pieces, corpus.sources, corpus.failed_files)
    report["summary"] |= {"duplicates": corpus.duplicates, "duplicate_files": corpus.summary()["duplicate_files"]}
    if args.json:
        print_json(report)
        return 0
    table = Table(title="files")
    columns = (
        "file",
        "tracks (name program notes range role (from))",
        "grid fit",
        "meter, key: declared -> found",
        "tempo",
    )
    for name in columns:
        table.add_column(name)
    for row in report["files"]:
        tracks = "\n".join(
            f"{t['name']} {t['program']} {t['notes']} {t['range']} [bold]{t['role']}[/] ({t['role_from']})"
            for t in row["tracks"]
        )
        low, high = row["tempo_range"]
        tempo = f"{low:g}" if low == high else f"{low:g}-{high:g}"
        fit = grid_fit_text(row["grid_fit"], row["on_grid"])
        meter = f"{row['meter_declared'] or '-'} -> {row['meter_found']}, bar 1 at beat {row['first_bar_line_beats']:g}"
        meter += f"\n{row['key_declared'] or '-'} -> {row['key_found'] or '-'}: {row['key_evidence'] or ''}"
        table.add_row(Path(row["file"]).name, tracks, fit, meter, tempo)
    err.print(table)
    summary = report["summary"]
    totals = Table(title="corpus", show_header=False)
    totals.add_row("files", f"{summary['files']} ({summary['read']} read)")
    totals.add_row("tracks per file", ", ".join(f"{k}: {v}" for k, v in summary["tracks_per_file"].items()))
    totals.add_row("layouts", ", ".join(f"{k} ({v})" for k, v in summary["layouts"].items()))
    totals.add_row("meters found", ", ".join(f"{k} {v}" for k, v in summary["meters_found"].items()))
    totals.add_row("meters corrected", str(summary["meters_corrected"]))
    totals.add_row("keys found", ", ".join(f"{k} {v}" for k, v in summary["keys_found"].items()))
    totals.add_row("keys corrected", f"{summary['keys_corrected']} of {summary['keys_declared']} declared")
    totals.add_row("on a grid", f"{summary['on_grid']} (off: {len(summary['off_grid'])})")
    totals.add_row("--tokenizer auto", summary["tokenizer_auto"])
    err.print(totals)
    if summary.get("advice"):
        say(summary["advice"])
    for skipped in summary["skipped"]:
        say(f"[yellow]skipped[/] {skipped['file']}: {skipped['reason']}")
    _report_duplicates(summary)
    return 0


def grid_fit_text(fit: float | None, on_grid: bool) -> str:
    """A file's grid fit as the table shows it: notation has its grid by nature."""
    if fit is None:
        return "notation"
    return f"{fit:.0%} of onsets fit" + ("" if on_grid else " [yellow](played freely)[/]")


def _print_check(check: dict) -> None:
    from rich.table import Table

    from melody.cli.console import err

    table = Table(title="bar-by-bar check")
    for name in ("file", "tunes", "clean", "share"):
        table.add_column(name, justify="left" if name == "file" else "right")
    for row in check["files"]:
        table.add_row(Path(row["file"]).name, str(row["tunes"]), str(row["clean"]), f"{row['clean_share']:.1%}")
    share = f"{check['clean_share']:.1%}" if check["clean_share"] is not None else "-"
    table.add_row("[bold]all[/]", str(check["tunes"]), str(check["clean"]), share)
    err.print(table)
    for problem, count in check["first_problems"].items():
        err.print(f"  {count:6d}  {problem}")


def run_generate(args: argparse.Namespace) -> int:
    import melody

    model = melody.load(args.model, args.device)
    config = from_args(SampleConfig, args, **_given_music(args, model))
    with counting_progress("sampling") as update:
        update(0, config.count)
        tunes = model.sample(config, args.device, update)
        written = tunes.save(args.out, force=args.force)
        update(config.count, config.count)
    for reason in tunes.left_out:  # on stderr with or without --json: a problem is never only in the JSON
        say(f"[yellow]left out[/] {reason}")
    for item in written:
        if item["problems"]:
            say(f"[yellow]{item['abc']}[/] still has problems: {'; '.join(item['problems'][:3])}")
    if args.preview:
        _preview_pieces(written, quiet=args.json)
    if args.json:
        summary = {"model": model.path, "out": args.out, "seed": args.seed, "resampled": tunes.resampled}
        print_json(summary | {"left_out": tunes.left_out, "pieces": written})
    else:
        _print_pieces(written, tunes.resampled)
    return 0


def run_vary(args: argparse.Namespace) -> int:
    import melody

    match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+))?\s*", args.bars)
    if not match:
        raise ConfigError(f"`bars` {args.bars!r}: give a range such as 5-8, or one bar such as 5")
    first, last = int(match.group(1)), int(match.group(2) or match.group(1))
    tune = melody.read(args.file, args.tune)
    model = melody.load(args.model or "folk")
    with counting_progress("varying") as update:
        update(0, args.count)
        variants = model.vary(tune, (first, last), args.count, args.candidates, args.seed)
        written = variants.save(args.out, force=args.force)
        update(args.count, args.count)
    for item, variant in zip(written, variants):
        chosen = variant.variant
        item |= {"log_likelihood_after": chosen.score, "candidates": sorted(chosen.candidate_scores)}
    if args.json:
        print_json({"file": args.file, "bars": [first, last], "model": model.path, "variants": written})
    else:
        for item in written:
            say(f"[green]{item['abc']}[/] (bars after: {item['log_likelihood_after']:.1f} nats)")
    return 0


def _given_music(args: argparse.Namespace, model) -> dict:
    """The SampleConfig fields read from files or typed text: the primer (text, a file), the melody
    to accompany, the tracks."""
    given = {"primer": args.primer.replace("\\n", "\n") if args.primer else None}  # "\n" typed in a shell
    if args.primer_file:
        given["primer"], given["primer_score"] = model.primer_from_file(args.primer_file, given["primer"])
    if args.accompany:
        from melody.formats.convert import read_score

        given["accompany"] = read_score(Path(args.accompany))[0]
    if args.tracks:
        given["tracks"] = tuple(args.tracks.split(","))
    return given


def _print_pieces(written: list[dict], resampled: int) -> None:
    for item in written:
        show(
            f"{item['title']}  [dim]{item['type'] + ', ' if item['type'] else ''}{item['key']} {item['meter']}, "
            f"{item['notes']} notes[/]  "
            f"{item['abc']}  {item['midi']}"
        )
    if resampled:
        say(f"[dim]{resampled} unreadable, too short or ill-formed pieces were resampled[/]")


def run_evaluate(args: argparse.Namespace) -> int:
    import melody

    model = melody.load(args.model, args.device)
    if args.html:
        _check_writable(Path(args.html))  # before the evaluation, not after minutes of it
    with counting_progress("reading corpus") as update:
        result = melody.evaluate(
            model,
            args.corpus or None,
            samples=args.samples,
            seed=args.seed,
            split=args.split,
            clean=args.clean,
            baseline=not args.no_baseline,
            device=args.device,
            progress=update,
        )
    if args.html:
        _write_report(result, Path(args.html), quiet=args.json)
    if args.json:
        print_json(result)
    else:
        _print_evaluation(result)
    return 0


def _write_report(result: dict, path: Path, quiet: bool) -> None:
    from melody.evaluation.report import evaluation_html
    from melody.fileio import atomic_write_text

    atomic_write_text(path, evaluation_html(result))
    result["html"] = str(path)
    if not quiet:
        say(f"wrote {path}")


def _check_writable(path: Path) -> None:
    import os

    from melody.errors import OutputError

    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot create the folder: {error.strerror}", str(folder)) from None
    if path.is_dir() or not os.access(folder, os.W_OK):
        raise OutputError("cannot write a file here", str(path))


def _print_evaluation(result: dict) -> None:
    from rich.table import Table

    from melody.cli.console import err
    from melody.evaluation.report import FORM_FIGURES, SCORE_FIGURES, figures, versus

    table = Table(title=f"evaluate {Path(result['model'] or '').name}", show_header=False)
    for name, value in figures(result):
        table.add_row(name, value)
    music = (result.get("samples") or {}).get("music")
    shown_above = {name for name, _label in FORM_FIGURES + SCORE_FIGURES}
    for name, row in (music or {}).get("statistics", {}).items():
        if not isinstance(row["generated"], dict) and name not in shown_above:
            table.add_row(f"  {name.replace('_', ' ')}", versus(row))
    err.print(table)
    if result["pieces_skipped_unknown_tokens"]:
        say(f"skipped {result['pieces_skipped_unknown_tokens']} pieces the model's tokens cannot spell")


def _preview_pieces(written: list[dict], quiet: bool) -> None:
    """After generate --preview: a .wav beside each .mid, then a table and the first piano roll."""
    from rich.table import Table

    from melody.audio.playback import preview_written
    from melody.audio.preview import piano_roll
    from melody.cli.console import err

    rows = preview_written(written)
    if quiet or not rows:
        return
    table = Table(title="generated")
    for column in ("title", "key", "meter", "bars", "seconds", "notes", "files"):
        table.add_column(column)
    for row in rows:
        files = f"{Path(row.abc).name} .mid .wav"
        table.add_row(
            row.title, str(row.key), str(row.meter), str(row.bars), f"{row.seconds:.1f}", str(row.notes), files
        )
    err.print(table)
    err.print("\n".join(piano_roll(rows[0].score, width=min(100, err.width))), highlight=False)
