"""The studio's one worker: requests (compose, or vary a tune's bars) wait in a queue and are worked
through one after another in a thread, each tune reported as soon as it is ready. Models load once
per process, through melody's Python API as a notebook loads them."""

from __future__ import annotations

import itertools
import queue
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from melody.api import Model, holds_a_model, load, shipped
from melody.api.config import SampleConfig
from melody.errors import MelodyError

KEPT_JOBS = 64  # finished jobs whose events a late listener may still read
WARM = "warm"  # the id of the job that only loads a model


def model_catalog(models_dir: str | Path | None) -> dict[str, str]:
    """The models a page may choose, by name: the shipped ones, then each run folder under
    `models_dir` that holds a model file. A client names one of these, never a path."""
    catalog = {name: name for name in shipped()}
    if models_dir is not None:
        for folder in sorted(Path(models_dir).iterdir()) if Path(models_dir).is_dir() else []:
            if folder.is_dir() and holds_a_model(folder):
                catalog.setdefault(folder.name, str(folder))
    return catalog


def as_on_the_page(message: str) -> str:
    """A library message for the page: the config fields it names in backticks are the page's fields."""
    return message.replace("`", "")


@dataclass
class Variation:
    """What a vary request asks: the tune, its bars to sample again (first, last), and the seed."""

    abc: str
    bars: tuple[int, int]
    seed: int


@dataclass
class Job:
    """One request and what it has produced so far, as (event, data) pairs: a compose (its config),
    or a vary (`variation`; `config.count` variants)."""

    id: str
    model: str
    config: SampleConfig
    variation: Variation | None = None
    events: list[tuple[str, dict]] = field(default_factory=list)  # appended by the worker, read by listeners
    done: bool = False


class Composer:
    """A queue of jobs and the thread that works through it. `tune_view(tune, number)` turns each
    tune (melody.api.Tune) into what the page is sent."""

    def __init__(self, catalog: dict[str, str], tune_view, device: str = "cpu"):
        self.catalog = catalog
        self.tune_view = tune_view
        self.device = device
        self.models: dict[str, Model] = {}
        self.jobs: OrderedDict[str, Job] = OrderedDict()
        self.waiting: queue.Queue[Job | None] = queue.Queue()
        self.numbers = itertools.count(1)
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._work, name="melody-composer", daemon=True)
        self.thread.start()

    def model(self, name: str) -> Model:
        """The model of that catalog name, loaded on first use and kept (only the worker calls this)."""
        if name not in self.models:
            self.models[name] = load(self.catalog[name], self.device)
        return self.models[name]

    def warm(self, name: str) -> None:
        """Load a model in the worker, queued like any job, so the first request finds it ready."""
        self.waiting.put(Job(WARM, name, SampleConfig(count=1)))

    def submit(self, model: str, config: SampleConfig, variation: Variation | None = None) -> tuple[Job, int]:
        """Queue a job; also how many jobs are ahead of it (the one running included)."""
        with self.lock:
            job = Job(f"job{next(self.numbers)}", model, config, variation)
            ahead = sum(1 for other in self.jobs.values() if not other.done)
            self.jobs[job.id] = job
            while len(self.jobs) > KEPT_JOBS and next(iter(self.jobs.values())).done:
                self.jobs.popitem(last=False)
        job.events.append(("queued", {"job": job.id, "ahead": ahead}))
        self.waiting.put(job)
        return job, ahead

    def stop(self) -> None:
        self.waiting.put(None)

    def _work(self) -> None:
        while (job := self.waiting.get()) is not None:
            if job.id == WARM:
                try:
                    self.model(job.model)
                except MelodyError:
                    pass  # the page's first request reports it
                continue
            self._compose(job)

    def _compose(self, job: Job) -> None:
        job.events.append(("started", {"job": job.id, "count": job.config.count}))
        try:
            model = self.model(job.model)
            number = 0
            for tunes in self._results(model, job):
                for tune in tunes:
                    number += 1
                    job.events.append(("tune", self.tune_view(tune, number)))
                for reason in tunes.left_out:
                    job.events.append(("left_out", {"reason": reason}))
            job.events.append(("done", {"job": job.id, "tunes": number}))
        except MelodyError as error:
            job.events.append(("failed", {"message": as_on_the_page(error.message)}))
        except Exception as error:  # a worker must outlive any one request; the page hears why
            job.events.append(("failed", {"message": f"{type(error).__name__}: {error}"}))
        finally:
            job.done = True

    def _results(self, model: Model, job: Job):
        """The job's tunes, in groups as they are ready: composed one at a time, or all the variants."""
        if job.variation is None:
            yield from model.stream(job.config, self.device)
            return
        asked = job.variation
        yield model.vary(asked.abc, asked.bars, job.config.count, seed=asked.seed)
