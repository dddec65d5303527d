"""RecentStates: a tick never goes back to a feed's state from before its last poll in this process."""

from __future__ import annotations

from pipeline.sources.schedule import PollState
from pipeline.transforms.poll import RecentStates


def test_only_states_newer_than_the_runners_are_offered() -> None:
    recent = RecentStates()
    recent.put("a", PollState(last_poll=200.0, next_due=500.0))
    recent.put("b", PollState(last_poll=100.0, next_due=400.0))
    runner = {"a": PollState(last_poll=150.0), "b": PollState(last_poll=100.0), "c": PollState()}
    assert recent.newer(runner) == {"a": PollState(last_poll=200.0, next_due=500.0)}


def test_a_feed_runner_state_has_never_seen_takes_the_known_state() -> None:
    recent = RecentStates()
    recent.put("a", PollState(last_poll=10.0))
    assert recent.newer({"a": PollState()}) == {"a": PollState(last_poll=10.0)}
