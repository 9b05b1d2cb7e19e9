#!/usr/bin/env python3
"""Per-thread time split of a process between two snapshots, from /proc/PID/task/*/schedstat:
on CPU, waiting for a CPU (run queue: other processes on this shared machine), and off CPU
(blocked: fsync, I/O, locks, idle).

  thread_times.py snapshot PID > before.json
  ... load ...
  thread_times.py snapshot PID > after.json
  thread_times.py diff before.json after.json
"""
import json
import os
import sys
import time


def snapshot(pid):
    threads = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                on_cpu, run_queue, _ = (int(x) for x in f.read().split())
        except OSError:
            continue  # the thread ended
        threads[tid] = {"on_cpu": on_cpu, "run_queue": run_queue}
    return {"wall": time.monotonic_ns(), "threads": threads}


def diff(before, after):
    wall = (after["wall"] - before["wall"]) / 1e9
    rows = []
    for tid, a in after["threads"].items():
        b = before["threads"].get(tid, {"on_cpu": 0, "run_queue": 0})
        cpu = (a["on_cpu"] - b["on_cpu"]) / 1e9
        queue = (a["run_queue"] - b["run_queue"]) / 1e9
        rows.append((cpu, queue, tid))
    rows.sort(reverse=True)
    print(f"wall {wall:.2f} s; threads by CPU time (s and % of wall):")
    print(f"{'tid':>8} {'on CPU':>14} {'run queue':>14} {'off CPU':>14}")
    for cpu, queue, tid in rows:
        if cpu + queue < 0.01 * wall:
            continue
        off = max(0.0, wall - cpu - queue)
        print(f"{tid:>8} {cpu:6.2f} ({cpu / wall:4.0%}) {queue:6.2f} ({queue / wall:4.0%}) "
              f"{off:6.2f} ({off / wall:4.0%})")
    total_cpu = sum(r[0] for r in rows)
    print(f"process: {total_cpu:.2f} s on CPU = {total_cpu / wall:.2f} cores of {os.cpu_count()}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "snapshot":
        json.dump(snapshot(sys.argv[2]), sys.stdout)
    elif len(sys.argv) == 4 and sys.argv[1] == "diff":
        with open(sys.argv[2]) as b, open(sys.argv[3]) as a:
            diff(json.load(b), json.load(a))
    else:
        sys.exit(__doc__)
