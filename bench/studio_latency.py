"""Time from a click on Compose to the first engraved tune in melody studio, `-n 1`, model warm.

    python bench/studio_latency.py [--model folk] [--trials 10]

Starts `melody serve` on a free port and drives Debian's chromium with Playwright. The baseline,
measured in the same run: the library sampling the same tunes in this process
(`sampling.sample`, the call under `melody generate -n 1`), so the ratio is what the
page, the queue, the stream and the engraving add. Goal: under 1 s on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_studio(port: int) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-m", "melody", "serve", "--port", str(port)])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/models", timeout=2).read()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("melody serve did not start")


def page_times(port: int, model: str, seeds: list[int]) -> list[float]:
    from playwright.sync_api import sync_playwright

    browser_path = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(f"http://127.0.0.1:{port}/")
        page.locator("#model option").first.wait_for(state="attached")
        page.select_option("#model", model)
        page.fill("#count", "1")
        times = []
        for number, seed in enumerate([seeds[0], *seeds], start=1):  # the first click warms the page
            page.fill("#seed", str(seed))
            started = time.perf_counter()
            page.click("#compose")
            page.locator(".tune .engraving svg").nth(number - 1).wait_for(timeout=60_000)
            times.append(time.perf_counter() - started)
        browser.close()
    return times[1:]


def library_times(model_name: str, seeds: list[int]) -> list[float]:
    from melody.network.checkpoint import load_model
    from melody.sampling import sample
    from melody.sampling.sampler import SampleConfig

    model = load_model(model_name)
    list(sample(model, SampleConfig(count=1, seed=seeds[0])))  # warm
    times = []
    for seed in seeds:
        started = time.perf_counter()
        list(sample(model, SampleConfig(count=1, seed=seed)))
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="folk")
    parser.add_argument("--trials", type=int, default=10)
    args = parser.parse_args()
    seeds = list(range(100, 100 + args.trials))
    port = free_port()
    studio = start_studio(port)
    try:
        page = page_times(port, args.model, seeds)
    finally:
        studio.terminate()
        studio.wait(timeout=10)
    library = library_times(args.model, seeds)
    page_median, library_median = statistics.median(page), statistics.median(library)
    print(f"click to first engraved tune ({args.model}, -n 1, {args.trials} seeds, model warm):")
    print(f"  studio:  median {page_median:.3f} s, max {max(page):.3f} s")
    print(f"  library: median {library_median:.3f} s (sampling the same tunes in this process)")
    verdict = "met" if page_median < 1 else "NOT met"
    print(f"  ratio studio/library: {page_median / library_median:.2f}; goal < 1 s: {verdict}")


if __name__ == "__main__":
    main()
