"""Where the CPU goes during a throughput run: CPU seconds per process kind, per delivery.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hp_bench CELERY_BROKER_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python bench/cpu_split.py [--mode end-to-end|delivery-side] [--events 500] [--endpoints 4]

Reads every process's user + system time from /proc before and after the
run (Linux only) and sums it by kind: the worker (main process and pool
children), PostgreSQL backends, Redis, the receiver and this publishing
process.  On a 2-core machine the sum is the budget the run spends.
"""

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import harness, throughput  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
KINDS = (("celery", "worker"), ("postgres", "postgresql"), ("redis", "redis"), ("fast_receiver", "receiver"))


def cpu_by_process():
    """{pid: (kind, cpu seconds)} for every process visible in /proc."""
    seen = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        kind = "this process" if int(pid) == os.getpid() else next(
            (name for marker, name in KINDS if marker in command), "other")
        seen[int(pid)] = (kind, (int(fields[11]) + int(fields[12])) / TICKS)
    return seen


def split(before, after):
    totals = Counter()
    for pid, (kind, seconds) in after.items():
        totals[kind] += seconds - before.get(pid, (kind, 0.0))[1]
    return totals


def measure(mode, events, endpoints, concurrency=2):
    """(seconds, {kind: cpu seconds}) of one run, from the worker's ready time to the last receipt."""
    with harness.Run() as run:
        throughput.prepare(run.receiver, endpoints)
        if mode == "delivery-side":
            throughput.publish_all(events)
        run.start_worker(concurrency)
        time.sleep(0.5)  # the worker's start-up is not the run
        before, start = cpu_by_process(), time.time()
        if mode == "end-to-end":
            throughput.publish_all(events)
        run.receiver.wait_for(events * endpoints, timeout=300)
        return time.time() - start, split(before, cpu_by_process())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=("end-to-end", "delivery-side"), default="end-to-end")
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--endpoints", type=int, default=4)
    args = parser.parse_args()
    harness.setup_django()
    deliveries = args.events * args.endpoints
    seconds, totals = measure(args.mode, args.events, args.endpoints)
    print(f"\n{args.mode}: {deliveries} deliveries in {seconds:.2f} s ({deliveries / seconds:.0f}/s)")
    print(f"{'process':14} {'cpu s':>7} {'ms per delivery':>16}")
    for kind, cpu in totals.most_common():
        if cpu >= 0.01:
            print(f"{kind:14} {cpu:7.2f} {cpu / deliveries * 1000:16.2f}")
    print(f"{'all':14} {sum(totals.values()):7.2f} {sum(totals.values()) / deliveries * 1000:16.2f}")


if __name__ == "__main__":
    main()
