"""The sign-in throttle's arithmetic on a fake clock (the HTTP side is test_security.py)."""

from __future__ import annotations

from hub.throttle import SignInThrottle


def test_waits_double_to_a_cap_and_success_clears_the_user_only() -> None:
    now = [1000.0]
    throttle = SignInThrottle(clock=lambda: now[0])
    waits = []
    for _ in range(12):
        assert throttle.retry_after("alice", "10.0.0.9") == 0
        throttle.failed("alice", "10.0.0.9")
        wait = throttle.retry_after("alice", "10.0.0.9")
        waits.append(wait)
        if wait:
            assert throttle.retry_after("alice", "10.0.0.1") == wait  # the user, from anywhere
            now[0] += wait
    assert waits == [0, 0, 0, 0, 1, 2, 4, 8, 16, 30, 30, 30]  # a real admin waits 30 s at most
    throttle.succeeded("alice")
    throttle.failed("alice", "10.0.0.9")
    assert throttle.retry_after("alice", "10.0.0.9") == 0  # counting starts afresh

    # The address: 20 failures under any names lock it, doubling to 15 minutes.
    for n in range(7):
        throttle.failed(f"u{n}", "10.0.0.9")
    assert throttle.retry_after("anyone", "10.0.0.9") == 1
    assert throttle.retry_after("anyone", "10.0.0.2") == 0
    now[0] += 1
    for _ in range(12):
        throttle.failed("x", "10.0.0.9")
        now[0] += throttle.retry_after("y", "10.0.0.9")
    throttle.failed("x", "10.0.0.9")
    assert throttle.retry_after("y", "10.0.0.9") == 900

    # Failures are forgotten after 15 minutes of quiet.
    now[0] += 900 + 15 * 60
    throttle.failed("x", "10.0.0.9")
    assert throttle.retry_after("y", "10.0.0.9") == 0
