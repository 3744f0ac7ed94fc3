"""What the CLI commands that learn and write music do: read flags, call the library, show the result
(cli/play_commands.py holds those that hear, see, convert and serve it)."""

from __future__ import annotations

import argparse
from pathlib import Path

from melody.cli.console import counting_progress, print_json, say, training_progress
from melody.errors import ConfigError


def _prepare(corpus: list[str], tokenizer: str, val_fraction: float, use_cache: bool = True, **options):
    from melody.training.data import prepare_corpus

    with counting_progress("reading corpus") as update:
        return prepare_corpus(corpus, tokenizer, val_fraction, use_cache=use_cache, progress=update, **options)


def _report_skipped(summary: dict) -> None:
    for note in summary.get("notes", []):
        say(f"[dim]note[/] {note['file']}: {note['note']}")
    for failure in summary["failed_files"]:
        say(f"[yellow]skipped[/] {failure['file']}: {failure['error']}")
    dropped = sum(summary["dropped"].values())
    if dropped or summary["failed_files"]:
        reasons = ", ".join(f"{n} {r}" for r, n in sorted(summary["dropped"].items()))
        say(f"skipped {len(summary['failed_files'])} files and {dropped} pieces" + (f" ({reasons})" if reasons else ""))
    if summary.get("unclean"):
        say(f"left out {summary['unclean']} tunes with a bar that does not fit the meter (--no-clean keeps them)")
    if summary.get("untokenizable"):
        say(f"left out {summary['untokenizable']} tunes the tokenizer cannot spell")


def track_choice(args: argparse.Namespace):
    """The MIDI tracks `--tracks` and `--no-drums` keep."""
    from melody.formats.corpus import TrackChoice

    tracks = tuple(t.strip() for t in args.tracks.split(",") if t.strip()) if getattr(args, "tracks", None) else None
    return TrackChoice(tracks, not getattr(args, "no_drums", False))


def run_train(args: argparse.Namespace) -> int:
    from melody.network.model import ModelConfig
    from melody.training import distributed
    from melody.training.config import TrainConfig
    from melody.training.train import Trainer, resume_trainer

    if args.resume and not args.corpus:
        _reuse_run_corpus(args)
    if not args.corpus:
        raise ConfigError("name a corpus to train on: a folder, a file or 'folk'")
    run_dir = Path(args.resume or args.out or Path("runs") / Path(args.corpus[0]).name)
    if not args.resume and not args.force and _holds_a_run(run_dir):
        raise ConfigError(
            f"{run_dir} already holds a trained run: --resume {run_dir} carries it on, --force starts it anew, "
            "--out names another folder"
        )
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
    limits = {"epochs": args.epochs, "max_steps": args.max_steps, "max_minutes": args.max_minutes}
    if all(v is None for v in limits.values()) and not args.resume:
        limits["epochs"] = 20
    import contextlib
    import os

    on_rank_zero = int(os.environ.get("RANK", "0")) == 0  # under torchrun, one progress bar
    with training_progress() if on_rank_zero else contextlib.nullcontext(lambda event: None) as on_event:
        if args.resume:
            trainer = resume_trainer(
                corpus, args.resume, on_event, **{k: v for k, v in limits.items() if v is not None}
            )
        else:
            source = None
            if args.init_from:
                from melody.network.checkpoint import load_model

                source = load_model(args.init_from)
                sizes = source.config
                model_config = ModelConfig(
                    len(corpus.tokenizer),
                    sizes.cell,
                    sizes.embed_dim,
                    sizes.hidden_size,
                    sizes.num_layers,
                    args.dropout,
                )
            else:
                model_config = ModelConfig(
                    len(corpus.tokenizer), args.cell, args.embed_dim, args.hidden_size, args.layers, args.dropout
                )
            config = TrainConfig(
                seq_len=args.seq_len,
                batch_size=args.batch_size,
                lr=args.lr,
                weight_decay=args.weight_decay,
                clip=args.clip,
                warmup_steps=args.warmup_steps,
                schedule=args.schedule,
                seed=args.seed,
                device=args.device,
                save_dtype=args.save_dtype,
                transpose=args.transpose,
                precision=args.precision,
                compile=args.compile,
                checkpoint_every=args.checkpoint_every,
                log_every=args.log_every,
                init_from=source.path if source else None,
                **limits,
            )
            if args.force:
                (run_dir / "metrics.jsonl").unlink(missing_ok=True)  # a new run's log starts at step 0
            trainer = Trainer(corpus, model_config, config, run_dir, on_event)
            if source is not None:
                from melody.training.train import warm_start

                carried = warm_start(trainer.model, source.network, source.tokenizer.vocab, corpus.tokenizer.vocab)
                if not args.json:
                    say(f"starting from {source.path}: {carried} of {len(corpus.tokenizer)} tokens carried over")
        try:
            result = trainer.run()
        except KeyboardInterrupt:
            say(f"interrupted: checkpoint saved in {trainer.run_dir}; continue with --resume {trainer.run_dir}")
            raise
        finally:
            distributed.stop()
    if trainer.rank != 0:
        return 0
    if args.json:
        print_json(result)
    else:
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
    return 0


def _holds_a_run(run_dir: Path) -> bool:
    return any((run_dir / name).exists() for name in ("train_state.pt", "best.safetensors", "last.safetensors"))


def _reuse_run_corpus(args: argparse.Namespace) -> None:
    """`train --resume RUN` with no corpus: the corpus and tokenizer settings the run was made with."""
    from melody.network.checkpoint import load_model

    model = load_model(args.resume)
    recorded = model.training.get("corpus", {})
    if not recorded.get("arguments"):
        raise ConfigError(f"{args.resume} does not record its corpus; name it: melody train CORPUS --resume RUN")
    args.corpus = recorded["arguments"]
    args.tokenizer = model.tokenizer.name
    args.clean = recorded.get("clean", args.clean)
    args.val_fraction = recorded.get("val_fraction", args.val_fraction)
    args.no_decorations = not model.tokenizer.settings().get("decorations", True)


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
        return 0
    from rich.table import Table

    if args.check:
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
    return 0


def _score_corpus(args: argparse.Namespace, files: list[Path]) -> int:
    """`melody corpus` on MIDI: a table per file (tracks, roles, grid fit, meter declared and found)."""
    from rich.table import Table

    from melody.cli.console import err
    from melody.formats.corpus import load_corpus
    from melody.formats.corpus_report import score_corpus_report

    with counting_progress("reading corpus") as update:
        corpus = load_corpus(args.corpus, "score", progress=update, files=files, choice=track_choice(args))
    report = score_corpus_report(corpus.pieces, corpus.sources, corpus.failed_files)
    if args.json:
        print_json(report)
        return 0
    table = Table(title="files")
    for name in ("file", "tracks (name program notes range role)", "grid fit", "meter declared -> found", "tempo"):
        table.add_column(name)
    for row in report["files"]:
        tracks = "\n".join(
            f"{t['name']} {t['program']} {t['notes']} {t['range']} [bold]{t['role']}[/]" for t in row["tracks"]
        )
        low, high = row["tempo_range"]
        tempo = f"{low:g}" if low == high else f"{low:g}-{high:g}"
        fit = f"{row['grid_fit']:.0%}" + ("" if row["on_grid"] else " [yellow]off grid[/]")
        meter = f"{row['meter_declared'] or '-'} -> {row['meter_found']}, bar 1 at beat {row['first_bar_line_beats']:g}"
        table.add_row(Path(row["file"]).name, tracks, fit, meter, tempo)
    err.print(table)
    summary = report["summary"]
    totals = Table(title="corpus", show_header=False)
    totals.add_row("files", f"{summary['files']} ({summary['read']} read)")
    totals.add_row("tracks per file", ", ".join(f"{k}: {v}" for k, v in summary["tracks_per_file"].items()))
    totals.add_row("layouts", ", ".join(f"{k} ({v})" for k, v in summary["layouts"].items()))
    totals.add_row("meters found", ", ".join(f"{k} {v}" for k, v in summary["meters_found"].items()))
    totals.add_row("meters corrected", str(summary["meters_corrected"]))
    totals.add_row("on a grid", f"{summary['on_grid']} (off: {len(summary['off_grid'])})")
    totals.add_row("--tokenizer auto", summary["tokenizer_auto"])
    err.print(totals)
    if summary.get("advice"):
        say(summary["advice"])
    for skipped in summary["skipped"]:
        say(f"[yellow]skipped[/] {skipped['file']}: {skipped['reason']}")
    return 0


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
    from melody.network.checkpoint import load_model
    from melody.sampling.pieces import read_primer_file, sample, write_pieces
    from melody.sampling.sampler import SampleConfig

    model = load_model(args.model, args.device)
    primer = args.primer.replace("\\n", "\n") if args.primer else None  # "\n" typed in a shell
    primer_score = None
    if args.primer_file:
        primer, primer_score = read_primer_file(Path(args.primer_file), model.tokenizer.piece_kind, primer)
    accompany = None
    if args.accompany:
        from melody.formats.convert import read_score

        accompany, _title = read_score(Path(args.accompany))
    config = SampleConfig(
        count=args.count,
        temperature=args.temperature,
        top_k=args.top_k,
        top_p=args.top_p,
        max_tokens=args.max_tokens,
        seed=args.seed,
        primer=primer,
        key=args.key,
        meter=args.meter,
        title=args.title,
        tune_type=args.type,
        form=args.form,
        part_bars=args.part_bars,
        cadence=args.cadence,
        primer_score=primer_score,
        accompany=accompany,
        tracks=tuple(args.tracks.split(",")) if args.tracks else None,
        tempo=args.tempo,
    )
    with counting_progress("sampling") as update:
        update(0, config.count)
        (sampled,) = sample(model, config, args.device, update)
        written = write_pieces(sampled.pieces, args.out, force=args.force)
        update(config.count, config.count)
    resampled = sampled.resampled
    for reason in sampled.dropped:  # on stderr with or without --json: a problem is never only in the JSON
        say(f"[yellow]left out[/] {reason}")
    for item in written:
        if item["problems"]:
            say(f"[yellow]{item['abc']}[/] still has problems: {'; '.join(item['problems'][:3])}")
    if args.preview:
        _preview_pieces(written, quiet=args.json)
    if args.json:
        print_json(
            {
                "model": model.path,
                "out": args.out,
                "seed": args.seed,
                "resampled": resampled,
                "left_out": sampled.dropped,
                "pieces": written,
            }
        )
        return 0
    for item in written:
        say(
            f"{item['title']}  [dim]{item['type'] + ', ' if item['type'] else ''}{item['key']} {item['meter']}, "
            f"{item['notes']} notes[/]  "
            f"{item['abc']}  {item['midi']}"
        )
    if resampled:
        say(f"[dim]{resampled} unreadable, too short or ill-formed pieces were resampled[/]")
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    from melody.evaluation.evaluate import evaluate_model
    from melody.network.checkpoint import load_model

    model = load_model(args.model, args.device)
    recorded = model.training.get("corpus", {}).get("arguments")
    corpus = args.corpus or recorded or (["chorales"] if model.tokenizer.piece_kind == "score" else ["folk"])
    if args.html:
        _check_writable(Path(args.html))  # before the evaluation, not after minutes of it
    with counting_progress("reading corpus") as update:
        result = evaluate_model(
            model,
            corpus,
            args.split,
            args.device,
            progress=update,
            clean=args.clean,
            baseline=not args.no_baseline,
            samples=args.samples,
            seed=args.seed,
        )
    if args.html:
        from melody.evaluation.report import evaluation_html
        from melody.fileio import atomic_write_text

        atomic_write_text(args.html, evaluation_html(result))
        result["html"] = str(Path(args.html))
        if not args.json:
            say(f"wrote {args.html}")
    if args.json:
        print_json(result)
        return 0
    _print_evaluation(result)
    return 0


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
