"""Shared CLI plumbing: the hub state per command, output helpers, error lines."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console

from hub.errors import Unavailable, problem_for
from hub.settings import get_settings
from hub.state import HubState
from hub.store import current_revision, head_revision

# soft wrap: long URLs and JSON stay on one line when output goes to a file or CI log
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
log = logging.getLogger("civichub.cli")


def console_error(exc: BaseException | str) -> int:
    """Print one line that says what went wrong and what to do; return the exit code."""
    if isinstance(exc, str):
        err.print(f"error: {exc}", style="red", highlight=False, markup=False)
        return 1
    problem = problem_for(exc)
    if problem.status >= 500 and problem.slug == "internal":
        log.debug("unexpected error", exc_info=exc)
        err.print(f"error: {type(exc).__name__}: {exc}", highlight=False, markup=False)
        return 1
    err.print(f"error: {problem.detail}", highlight=False, markup=False)
    return 2 if problem.status in (400, 422) else 1


@contextmanager
def hub_state(*, require_schema: bool = True) -> Iterator[HubState]:
    state = HubState.build(get_settings())
    try:
        if require_schema:
            revision = current_revision(state.engine)
            if revision != head_revision():
                raise Unavailable(
                    f"the hub store at {state.settings.database_url} is not initialized "
                    f"(schema {revision or 'none'}, expected {head_revision()}); "
                    "run `civichub init`"
                )
        yield state
    finally:
        state.close()


def print_json(value: Any) -> None:
    out.print_json(json.dumps(value, ensure_ascii=False, default=str))
