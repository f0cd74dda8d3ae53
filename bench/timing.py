"""The timing loop of the PyTorch twins of Semisup's bench, as bench/Semisup.Bench/Timing.cs's."""
import time

WARMUP = 100  # training steps before the timed ones, as Timing.cs's WarmupSteps (its comment says why)


def per_call(once, calls, warmup=0):
    """Seconds per call of `once`, over `calls` timed calls after `warmup` untimed ones."""
    for _ in range(warmup):
        once()
    start = time.perf_counter()
    for _ in range(calls):
        once()
    return (time.perf_counter() - start) / calls
