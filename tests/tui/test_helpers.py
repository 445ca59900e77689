"""The pilot helpers themselves: `until` returns once its condition holds and fails, naming what it
waited for, when the condition never does."""

from __future__ import annotations

import pytest
from textual.app import App

from .helpers import until


async def test_until_waits_for_work_done_later_and_fails_when_it_never_happens() -> None:
    app: App[None] = App()
    async with app.run_test() as pilot:
        done: list[int] = []
        app.call_later(done.append, 1)  # runs on a later turn of the app's loop
        await until(pilot, lambda: done, "the callback")
        assert done == [1]
        with pytest.raises(AssertionError, match="after 3 pauses for: a miracle"):
            await until(pilot, lambda: False, "a miracle", pauses=3)
