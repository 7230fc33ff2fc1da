"""The whole benchmark suite in one command; prints one table (Markdown).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hp_bench CELERY_BROKER_URL=redis://127.0.0.1:6379/6 \\
        .venv/bin/python bench/run_all.py [--small] [--only throughput,latency,...] [--peer-broker URL]

Sections: throughput (ours, the raw requests.Session ceiling and
django-webhook measured in turn, each figure the median of ``--rounds``
rounds), latency, fan-out, slow endpoints, publish (one ``publish`` alone
and in a host transaction, ``publish_many``; alone again with 1,000,000 events
in the table), backlog, memory, failover (SIGKILL of every worker), scaleout
(three nodes against one node of three processes; once more with each node in
a session of its own, for comparison).  Publish, failover and scale-out run as
scripts, each on a PostgreSQL database of its own (DATABASE_URL plus
``_<script>``).  ``--before CHECKOUT`` runs publish and failover against another
checkout's code too (its own database, plus ``_before``), side by side in one
run, with ratios.  ``--small`` is
the few-hundred-delivery version CI runs (SQLite or PostgreSQL, no peer, no
slow endpoint, no failover or scale-out, no timing assertions).  Every load is
bounded in count and time and goes to 127.0.0.1 only.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import harness  # noqa: E402

FULL = {"events": 500, "endpoints": 4, "rate": 50, "seconds": 20, "fanout": 10_000, "slow_rate": 20,
        "slow_seconds": 20, "backlog": 1_000_000, "backlog_batches": 20, "memory": 100_000, "publish_calls": 2000,
        "publish_table": 1_000_000, "publish_rounds": 3}
SMALL = {"events": 50, "endpoints": 4, "rate": 10, "seconds": 2, "fanout": 100, "slow_rate": 0,
         "slow_seconds": 0, "backlog": 2_000, "backlog_batches": 5, "memory": 400, "publish_calls": 200,
         "publish_table": 0, "publish_rounds": 1}
# publish before backlog: the backlog writes 1,000,000 rows, and PostgreSQL vacuums them in the minutes after.
SECTIONS = ("throughput", "latency", "fanout", "slow", "publish", "backlog", "memory", "failover", "scaleout")
SMALL_SECTIONS = SECTIONS[:-2]  # a worker killed and three nodes are minutes of a CI run


class Table:
    def __init__(self):
        self.rows = []

    def add(self, section, measure, value, note=""):
        self.rows.append((section, measure, value, note))
        print(f"  {section:12} {measure:48} {value:>14} {note}", flush=True)

    def markdown(self):
        lines = ["| section | measure | value | note |", "|---|---|---:|---|"]
        lines += [f"| {s} | {m} | {v} | {n} |" for s, m, v, n in self.rows]
        return "\n".join(lines)


def rate(count, seconds):
    return f"{count / seconds:,.0f}/s" if seconds > 0 else "n/a"


def throughput(table, size, args):
    """Each figure is the median of ``--rounds`` rounds, each round measuring every contender in turn
    (the ceiling, ours end to end, the ceiling, ours delivery side, the ceiling, the peer), so a
    disturbance of the shared machine falls on one round, not one side.  Each ratio is the median of
    the rounds' own ratios (``_ratios``); ours against the ceiling, against the mean of the ceiling
    runs just before and just after it.  A round's ceiling figure is the mean of its three runs."""
    from bench import ceiling, peer
    from bench import throughput as ours

    events, endpoints = size["events"], size["endpoints"]
    total = events * endpoints
    rounds = {"e2e": [], "side": [], "raw": [], "raw e2e": [], "raw side": [], "peer e2e": [], "peer side": [],
              "rss": []}

    def raw():
        got, seconds = ceiling.measure(total, endpoints, ours.PADDING)
        return got / seconds, f"{got}/{total}"

    for _ in range(args.rounds):
        # The ceiling right before and right after each of ours: the machine's speed drifts within seconds.
        first = raw()
        got, seconds, ok, _ = ours.end_to_end(events, endpoints, args.concurrency)
        rounds["e2e"].append((got / seconds, f"{got}/{total}{'' if ok else ' TIMED OUT'}"))
        middle = raw()
        got, seconds, ok = ours.delivery_side(events, endpoints, args.concurrency)
        rounds["side"].append((got / seconds, f"{got}/{total}{'' if ok else ' TIMED OUT'}"))
        last = raw()
        rounds["raw"].append((statistics.mean(r for r, _ in (first, middle, last)), first[1]))
        rounds["raw e2e"].append((statistics.mean((first[0], middle[0])), ""))
        rounds["raw side"].append((statistics.mean((middle[0], last[0])), ""))
        if not args.small:
            results = peer.measure(events, endpoints, os.environ["DATABASE_URL"], args.peer_broker)
            for mode, key in (("end to end", "peer e2e"), ("delivery side", "peer side")):
                got, seconds, ok = results[mode]
                rounds[key].append((got / seconds, f"{got}/{total}{'' if ok else ' TIMED OUT'}"))
            rounds["rss"].append((results["rss_mb"], ""))
    median = {key: statistics.median(value for value, _ in runs) for key, runs in rounds.items() if runs}
    for key, label in (("e2e", f"ours end to end ({events} x {endpoints})"), ("side", "ours delivery side only"),
                       ("raw", "raw ceiling: one requests.Session loop")):
        table.add("throughput", label, f"{median[key]:,.0f}/s", _spread(rounds[key]))
    table.add("throughput", "ratio ours / ceiling (end to end)",
              *_ratios(rounds, "e2e", "raw e2e", median, "0.85", 2))
    table.add("throughput", "ratio ours / ceiling (delivery side)",
              *_ratios(rounds, "side", "raw side", median, "0.9", 2))
    if args.small:
        return
    for key, ours_key, mode, target in (("peer e2e", "e2e", "end to end", "8"), ("peer side", "side", "delivery side",
                                                                                    None)):
        table.add("throughput", f"django-webhook 0.0.15 {mode}", f"{median[key]:,.0f}/s", _spread(rounds[key]))
        table.add("throughput", f"ratio ours / django-webhook ({mode})",
                  *_ratios(rounds, ours_key, key, median, target, 1))
    table.add("throughput", "django-webhook worker RSS", f"{median['rss']:.0f} MB")


def _ratios(rounds, ours, other, median, target, digits):
    """(value, note) of a ratio: the median of each round's own ratio, its figures measured within
    seconds of each other; the shared machine's speed drifts by a third within a minute, which a ratio
    of medians taken from different rounds would carry.  The note gives each round's and the ratio of medians."""
    paired = [a / b for (a, _), (b, _) in zip(rounds[ours], rounds[other])]
    each = ", ".join(f"{r:.{digits}f}" for r in paired)
    note = (f"median of the rounds' own ratios ({each}); ratio of the medians "
            f"{median[ours] / median[other]:.{digits}f}")
    return f"{statistics.median(paired):.{digits}f}", f"target >= {target}; {note}" if target else note


def _spread(runs):
    """The note of a median figure: every round's value, and what each round delivered."""
    values = ", ".join(f"{value:,.0f}" for value, _ in runs)
    notes = sorted({note for _, note in runs})
    return f"median of {len(runs)} rounds ({values}/s); " + "; ".join(notes)


def latency(table, size, args):
    from bench import latency as lat

    r = lat.measure(size["rate"], size["seconds"])
    label = f"{size['rate']} events/s for {size['seconds']} s, 1 endpoint"
    table.add("latency", f"publish to receipt p50 ({label})", f"{r['p50']:.1f} ms", "target < 10 ms")
    table.add("latency", "publish to receipt p95", f"{r['p95']:.1f} ms")
    table.add("latency", "publish to receipt p99", f"{r['p99']:.1f} ms", "target < 50 ms")
    table.add("latency", "max", f"{r['max']:.1f} ms", f"{r['count']}/{r['expected']} received")


def fanout(table, size, args):
    from bench import fanout as fan

    r = fan.measure(size["fanout"])
    table.add("fan-out", "publish, 1 endpoint (best of 5, incl. commit)", f"{r['publish_ms_1']:.1f} ms",
              "target < 5 ms")
    table.add("fan-out", f"publish, {size['fanout']:,} endpoints (best of 5, incl. commit)",
              f"{r['publish_ms']:.1f} ms", f"target < 5 ms; the first of them {r['publish_ms_first']:.1f} ms")
    table.add("fan-out", f"publish to last receipt, {size['fanout']:,} endpoints", f"{r['seconds']:.2f} s",
              f"{r['received']}/{size['fanout']} received, {rate(r['received'], r['seconds'])}"
              + ("" if r["complete"] else " TIMED OUT"))


def slow(table, size, args):
    from bench import slow_endpoints

    if not size["slow_rate"]:
        return
    for name, is_slow in (("baseline, 10 fast endpoints", False), ("one endpoint takes 10 s", True)):
        r = slow_endpoints.one_run(is_slow, size["slow_rate"], size["slow_seconds"])
        table.add("slow", f"{name}: 9 fast endpoints' rate", f"{r['fast deliveries/s']:.1f}/s",
                  f"{r['fast received']}/{r['expected']}, {size['slow_rate']} events/s for {size['slow_seconds']} s")
        table.add("slow", f"{name}: fast p50 / p99", f"{r['p50 ms']:.0f} / {r['p99 ms']:.0f} ms",
                  f"slow endpoint got {r['slow received']}")


def backlog(table, size, args):
    from bench import backlog as big

    r = big.measure(size["backlog"], batches=size["backlog_batches"])
    for key, label in (("small", "nearly empty table"), ("large", f"{r['large']['rows']:,} rows")):
        part = r[key]
        for claim in ("due", "lapsed"):
            median, worst = part[f"{claim}_ms"]
            table.add("backlog", f"claim {r['batch_size']} {claim}, {label}: median / max",
                      f"{median:.1f} / {worst:.1f} ms",
                      f"rows written in {part['insert_s']:.1f} s" if claim == "due" else "")


def memory(table, size, args):
    from bench import memory as mem

    r = mem.measure(size["memory"])
    table.add("memory", "worker RSS at ready (every worker process)", f"{r['ready_mb']:.0f} MB")
    table.add("memory", "worker RSS after warm-up (2 %)", f"{r['warm_mb']:.0f} MB")
    table.add("memory", f"worker RSS after {r['received']:,} deliveries", f"{r['end_mb']:.0f} MB",
              f"{(r['end_mb'] / r['warm_mb'] - 1) * 100:+.1f} % since warm-up; target within 10 %; "
              f"{rate(r['received'], r['seconds'])}")


def _script(name, args, *extra, before=True, rounds=1):
    """{"after": result, "before": result or None}: a bench script run on this checkout and on ``--before``
    (unless ``before`` is false).  With ``rounds``, each side is run that many times, in turn, and holds
    the list of its results (``_pair`` takes their median)."""
    import json
    import subprocess

    here = Path(__file__).resolve().parent
    results = {"before": [] if args.before and before else None, "after": []}
    for _ in range(rounds):
        for label, root in (("before", args.before), ("after", None)):
            if results[label] is None:
                continue
            env = dict(os.environ)
            # Each script's sides get databases of their own with the same history: the after side
            # would otherwise inherit the tables the sections before it filled.
            if env.get("DATABASE_URL", "").startswith("postgres"):
                env["DATABASE_URL"] = f"{env['DATABASE_URL']}_{Path(name).stem}" + ("_before" if root else "")
            command = [sys.executable, str(here / name), "--json", *extra] + (["--root", root] if root else [])
            # cwd: Celery puts the working directory on sys.path, which must be the measured checkout.
            out = subprocess.run(command, env=env, capture_output=True, text=True, check=True,
                                 cwd=root or here.parent).stdout
            results[label].append(json.loads(out.strip().splitlines()[-1]))
    return {label: runs if runs is None or rounds > 1 else runs[0] for label, runs in results.items()}


def _pair(table, section, measure, results, pick, fmt, note="", better="lower"):
    """One row: after's value, and before's with the ratio when measured (each the median of its rounds'
    when ``_script`` ran several)."""
    def value(side):
        if isinstance(side, list):
            picked = [pick(x) for x in side]
            return None if None in picked else statistics.median(picked)
        return pick(side)

    after = value(results["after"])
    if results["before"] is None or value(results["before"]) is None:
        table.add(section, measure, fmt(after), note)
        return
    before = value(results["before"])
    ratio = (before / after if better == "lower" else after / before) if after and before else float("nan")
    table.add(section, measure, f"{fmt(before)} -> {fmt(after)}", f"{ratio:.1f}x better; {note}".rstrip("; "))


def publish(table, size, args):
    # Three alternating runs a side: one run of each, a minute apart, differed by half on this machine.
    r = _script("publish_cost.py", args, "--calls", str(size["publish_calls"]), rounds=size["publish_rounds"])
    ms = lambda v: f"{v:.2f} ms"  # noqa: E731
    for key, label in (("alone", "alone, own commit and hand-off"),
                       ("in_transaction", "in a host transaction, after the host's own write"),
                       ("in_transaction_first", "in a host transaction, as its first statement (+ BEGIN)")):
        _pair(table, "publish", f"publish p50, {label}", r, lambda x, k=key: x.get(k, {}).get("p50"), ms,
              {"alone": "target <= 1.2 ms", "in_transaction": "target: adds <= 0.6 ms"}.get(key, ""))
        _pair(table, "publish", f"publish p99, {label}", r, lambda x, k=key: x.get(k, {}).get("p99"), ms,
              "target <= 3 ms" if key == "alone" else "")
    _pair(table, "publish", "publish_many, calls of 1,000 (best of 5)", r,
          lambda x: x["many"]["events_per_s"] if x["many"] else None, lambda v: f"{v:,.0f} events/s",
          "target >= 20,000/s", better="higher")
    if not size["publish_table"]:
        return
    r = _script("publish_cost.py", args, "--calls", str(size["publish_calls"]), "--table-size",
                str(size["publish_table"]), before=False)["after"]
    if "skipped" in r:
        table.add("publish", f"publish alone, {size['publish_table']:,} events in the table", "skipped", r["skipped"])
        return
    empty, big = r["empty"], r["big"]
    table.add("publish", f"publish p50 / p99 alone, {r['rows']:,} events in the table",
              f"{big['p50']:.2f} / {big['p99']:.2f} ms",
              f"nearly empty table {empty['p50']:.2f} / {empty['p99']:.2f} ms (taking turns, {r['block']} calls each): "
              f"ratio {r['ratio_p50']:.2f} / {r['ratio_p99']:.2f}; target: does not grow")
    table.add("publish", "EXPLAIN of publish's statements, that table", "no seq scan"
              if not r["seq_scans_on_event"] else "SEQ SCAN", "no key, a new key, a key in use")


def failover(table, size, args):
    r = _script("failover.py", args, "--events", str(size["events"]), "--endpoints", str(size["endpoints"]))
    _pair(table, "failover", "SIGKILL every worker: new worker's start to last delivery", r,
          lambda x: x["seconds"], lambda v: f"{v:.1f} s", "target <= 30 s")
    for label in ("before", "after"):
        x = r[label]
        if x:
            table.add("failover", f"{label}: delivered / duplicates / in flight at the kill",
                      f"{x['received']}/{x['total']} / {x['duplicates']} / {x['in_flight']}",
                      f"killed after {x['at_kill']} arrived" + ("" if x["complete"] else " TIMED OUT"))


def scaleout(table, size, args):
    sized = ("--events", str(size["events"]), "--endpoints", str(size["endpoints"]))
    x = _script("scale_out.py", args, *sized, before=False)["after"]
    three, one = x["three_nodes"], x["one_node"]
    for shape, label in ((three, "three nodes, one process each (end to end)"),
                         (one, "one node, three processes (end to end)")):
        cpu = ", ".join(f"{kind} {seconds:.2f}" for kind, seconds in shape["cpu_s"].items())
        table.add("scale-out", label, f"{shape['rate']:,.0f}/s",
                  f"median of rounds {', '.join(map(str, shape['rates']))}/s; {shape['received']}/{shape['total']}, "
                  f"{shape['duplicates']} duplicates; median {shape['fan_outs']:.0f} fan-outs, publishing "
                  f"{shape['publishing_s']:.2f} s; CPU s {cpu}")
    table.add("scale-out", "ratio three nodes / one node", f"{x['ratio']:.2f}",
              f"target >= 0.9; workers in {x['sessions']} session; median of the rounds' own ratios "
              f"({', '.join(map(str, x['ratios']))}); ratio of the medians {three['rate'] / one['rate']:.2f}")
    apart = _script("scale_out.py", args, *sized, "--own-sessions", before=False)["after"]
    table.add("scale-out", "ratio, each node in a session of its own", f"{apart['ratio']:.2f}",
              f"not a target: Linux's autogroup gives each session a share of the CPU, so three nodes take three "
              f"from the publisher and PostgreSQL (rounds {', '.join(map(str, apart['ratios']))}; "
              f"publishing {apart['three_nodes']['publishing_s']:.2f} s against "
              f"{apart['one_node']['publishing_s']:.2f} s)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="a few hundred deliveries, for CI")
    parser.add_argument("--only", default=None, help="comma-separated sections (default: all)")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=None,
                        help="rounds of the throughput section, each figure their median (5; 1 with --small)")
    parser.add_argument("--peer-broker", default=None, help="the peer's Redis URL (default: ours, next db)")
    parser.add_argument("--markdown", help="also write the table to this file")
    parser.add_argument("--before", help="a checkout of the code before, for publish/failover side by side")
    args = parser.parse_args(argv)
    size = SMALL if args.small else FULL
    args.rounds = args.rounds or (1 if args.small else 5)
    if not args.small:
        if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("CELERY_BROKER_URL"):
            parser.error("the full suite needs DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL (Redis)")
        if args.peer_broker is None:
            base, _, db = os.environ["CELERY_BROKER_URL"].rpartition("/")
            args.peer_broker = f"{base}/{int(db or 0) + 1}"
    started = time.time()
    harness.setup_django()
    harness.purge_broker()
    from django.db import connection

    print(f"hookplatform benchmarks ({'small' if args.small else 'full'}), database {connection.vendor}, "
          f"worker prefork -c {args.concurrency}", flush=True)
    table = Table()
    for name in (args.only or ",".join(SMALL_SECTIONS if args.small else SECTIONS)).split(","):
        globals()[name](table, size, args)
    harness.reset_data()
    print(f"\n{table.markdown()}\n\ntotal {time.time() - started:.0f} s")
    if args.markdown:
        Path(args.markdown).write_text(table.markdown() + "\n")
    return table


if __name__ == "__main__":
    main()
