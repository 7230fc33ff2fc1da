"""Scale-out: three worker nodes (one process each, distinct node names) against one node of three processes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hp_bench CELERY_BROKER_URL=redis://127.0.0.1:6379/6 \\
        .venv/bin/python bench/scale_out.py [--events 500] [--endpoints 4] [--own-sessions] [--json] [--root CHECKOUT]

The shape of a many-machine deployment on one machine: separate process
groups (``celery worker -c 1 -n node<i>@%h``, only the first with beat) over
one PostgreSQL and one Redis, end to end (first publish to last receipt),
against ``celery worker -c 3`` with beat, in turn, five rounds (each rate the
median of its rounds, the ratio the median of the rounds' own ratios).
Duplicates counted from the receiver's log: there must be none when nothing
fails.  Each shape also reports how long the 500 publishes took and how many
fan-outs the workers made (from their logs): the publisher shares the two
cores with the workers, so how fast it goes decides how many events each
fan-out finds waiting; and the CPU seconds each kind of process spent
(``cpu_split``): workers, PostgreSQL, this publishing process.

The worker nodes stay in the benchmark's session (each in a process group
of its own), in both shapes.  Linux's autogroup scheduling shares the CPU
fairly between sessions: three nodes in three sessions of their own would
take three shares of the two cores where the one node takes one, and
starve the publisher and PostgreSQL in a way that machines of their own
never do.  ``--own-sessions`` measures that arrangement (bench/RESULTS.md,
session 29).
"""

import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import root  # noqa: E402

root.use()
from bench import cpu_split, harness  # noqa: E402

PADDING = 700
FAN_OUT_DONE = re.compile(r"Task delivery\.fan_out_event\[[^\]]*\] succeeded")


def one_run(events, endpoints, nodes, processes, limit_s=300, own_sessions=False):
    from delivery import publish

    total = events * endpoints
    with harness.Run() as run:
        harness.purge_broker()
        harness.reset_data()
        harness.make_endpoints(run.receiver, endpoints)
        workers = [harness.WorkerProcess(harness.bench_env(), concurrency=processes, beat=(i == 0), name=f"node{i}",
                                         own_session=own_sessions)
                   for i in range(nodes)]
        try:
            for worker in workers:
                worker.wait_ready()
            cpu_before, start = cpu_split.cpu_by_process(), time.time()
            for i in range(events):
                publish("bench.tick", {"n": i, "padding": "x" * PADDING}, tenant="bench")
            publishing = time.time() - start
            ok = run.receiver.wait_for(total, timeout=limit_s)
            cpu = cpu_split.split(cpu_before, cpu_split.cpu_by_process())
            time.sleep(1)  # late duplicates, if any
            records = run.receiver.records()
        finally:
            for worker in workers:
                worker.stop()
    fan_outs = sum(len(FAN_OUT_DONE.findall(worker.log_path.read_text())) for worker in workers)
    seen = Counter((path, msg_id) for _, path, msg_id in records)
    return {"rate": len(seen) / (max(r[0] for r in records) - start), "received": len(seen), "total": total,
            "duplicates": sum(c - 1 for c in seen.values()), "complete": ok,
            "publishing_s": publishing, "fan_outs": fan_outs, "cpu_s": dict(cpu)}


ROUNDS = 5  # a run is under two seconds: single runs of either shape differ by up to a third


def measure(events=500, endpoints=4, rounds=ROUNDS, own_sessions=False):
    """Both shapes in turn, ``rounds`` times; each shape's rate is the median of its rounds
    (``rates`` lists them), its duplicates the sum over them."""
    runs = {"three_nodes": [], "one_node": []}
    for _ in range(rounds):
        runs["three_nodes"].append(one_run(events, endpoints, nodes=3, processes=1, own_sessions=own_sessions))
        runs["one_node"].append(one_run(events, endpoints, nodes=1, processes=3, own_sessions=own_sessions))
    shapes = {shape: {"rate": statistics.median(r["rate"] for r in results),
                      "rates": [round(r["rate"]) for r in results],
                      "received": min(r["received"] for r in results), "total": results[0]["total"],
                      "duplicates": sum(r["duplicates"] for r in results),
                      "complete": all(r["complete"] for r in results),
                      "publishing_s": statistics.median(r["publishing_s"] for r in results),
                      "fan_outs": statistics.median(r["fan_outs"] for r in results),
                      "cpu_s": {kind: round(statistics.median(r["cpu_s"].get(kind, 0.0) for r in results), 2)
                                for kind in ("worker", "postgresql", "this process")}}
              for shape, results in runs.items()}
    # Each round's own ratio, of two runs seconds apart: the machine's speed drifts more than that between rounds.
    ratios = [t["rate"] / o["rate"] for t, o in zip(runs["three_nodes"], runs["one_node"])]
    return {**shapes, "ratio": statistics.median(ratios), "ratios": [round(r, 2) for r in ratios],
            "sessions": "one per node" if own_sessions else "the benchmark's"}


def main():
    harness.events_endpoints_main(measure, __doc__, flags=("own-sessions",))


if __name__ == "__main__":
    main()
