"""Publish: de-identification and publication to CKAN, rows per second (no baseline).

``hub.publishing.flows.publish`` in this process, as ``civichub publish DATASET --target
ckan`` runs it: read and decrypt the quasi-identifiers, plan the generalization to k,
read again, de-identify, scan every distinct cell with the PII analyzer, write the CSV
and the hub's open table, upload the CSV and load the DataStore through CKAN's API, and
switch. Each repetition replaces the previous publication. Rows per second counts the
rows read (the dataset), not the rows published (some are suppressed to reach k).
"""

from __future__ import annotations

import time

from bench.ckan import Ckan
from bench.config import Config, say
from bench.data import DATASET, Hub, with_ckan
from bench.report import Comparison, Results, median
from hub.context import cli_actor


def run(cfg: Config, hub: Hub, ckan: Ckan, results: Results) -> None:
    from hub.publishing import flows

    with_ckan(hub, ckan.url, ckan.token)
    repeats = cfg.full_passes
    seconds, last, stages = [], None, {}
    for rep in range(1, repeats + 1):
        request = flows.PublishRequest(dataset_id=DATASET, target="ckan")
        clock = _StageClock()
        started = time.perf_counter()
        last = flows.publish(hub.state, request=request, actor=cli_actor(), progress=clock)
        seconds.append(time.perf_counter() - started)
        stages = clock.durations(started)
        say(
            f"publish: run {rep}/{repeats}: {hub.rows:,} rows read, {last.rows:,} published "
            f"(k={last.k}, {last.suppressed:,} suppressed) to CKAN in {seconds[-1]:.1f} s "
            f"({hub.rows / seconds[-1]:,.0f} rows/s)"
        )
    assert last is not None
    results.comparisons["publish"] = Comparison(
        hub.rows / median(seconds), None, "rows/s", hub.rows
    )
    results.details["publish"] = {
        "flow": "hub.publishing.flows.publish (target ckan)",
        "seconds": seconds,
        "rows_in": hub.rows,
        "rows_out": last.rows,
        "suppressed": last.suppressed,
        "k": last.k,
        "url": last.url,
        "stage_seconds_last_run": stages,
    }
    say(f"publish: stages of the last run (s): {stages}")


class _StageClock:
    """The flow's progress callback: when each stage (read, plan, apply, ...) began."""

    def __init__(self) -> None:
        self.began: dict[str, float] = {}

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        self.began.setdefault(stage, time.perf_counter())

    def durations(self, started: float) -> dict[str, float]:
        marks = sorted(self.began.items(), key=lambda kv: kv[1])
        out, previous = {}, started
        names = ["setup", *[name for name, _ in marks]]
        ends = [t for _, t in marks] + [time.perf_counter()]
        for name, end in zip(names, ends, strict=True):
            out[name] = round(end - previous, 1)
            previous = end
        return out
