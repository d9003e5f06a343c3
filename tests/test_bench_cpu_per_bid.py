"""bench.cpu_per_bid reads each thread's CPU and context switches from /proc."""

from __future__ import annotations

import os
import threading
import time

from bench.cpu_per_bid import thread_counters


def test_a_busy_thread_shows_up_with_its_own_cpu_time() -> None:
    done = threading.Event()

    def spin() -> None:
        end = time.process_time() + 0.05
        while time.process_time() < end:
            pass
        done.wait(5)

    worker = threading.Thread(target=spin)
    worker.start()
    try:
        time.sleep(0.2)
        counters = thread_counters(os.getpid())
    finally:
        done.set()
        worker.join()
    assert "main" in counters
    [spinner] = [v for k, v in counters.items() if k.endswith(f"/{worker.native_id}")]
    assert spinner[0] + spinner[1] >= 0.01  # its own CPU, not the main thread's
    assert all(value >= 0 for value in spinner)
