#!/usr/bin/env python3
"""Attributes `perf record --call-graph` samples of rhip to the ingest path's stages.

  perf script -i perf.data -F tid,sym | perf_breakdown.py

Each sample goes to the first stage (in the order below) with a frame in its stack, so
nested stages are counted once, in the innermost one listed first. Prints one table for
the busiest thread (the database writer during ingest) and one for all the others.
"""
import collections
import sys

# (stage, substrings of a frame's symbol); first match wins.
STAGES = [
    ("FHIR validation (ValidateResource)", ["ValidateResource"]),
    ("conditional search (FindMatches: ifNoneExist, Type?identifier refs)", ["FindMatches"]),
    ("reference rewriting (urn:uuid -> Type/id)", ["ReferenceResolver"]),
    ("body to stored JSON (WithIdAndMeta + Serialize)", ["WithIdAndMeta", "json::Serialize"]),
    ("response entries (WriteResponse, ETag, instants)", ["WriteResponse", "ReadResponse"]),
    ("new ids (NewResourceId: RAND_bytes)", ["NewResourceId"]),
    ("SQLite COMMIT: WAL write + fdatasync", ["sqlite3PagerCommitPhaseOne", "sqlite3WalFrames"]),
    ("SQLite WAL checkpoint (in the committing thread)", ["sqlite3WalCheckpoint"]),
    ("SQLite BEGIN/COMMIT/SAVEPOINT/RELEASE via sqlite3_exec (parsed every call)",
     ["sqlite3_exec"]),
    ("SQLite page-cache spill to the WAL inside statements (pwrite)", ["pwrite64"]),
    ("SQLite Session::Query: INSERT INTO resource ... RETURNING rk; SELECTs of reads",
     ["SqliteConnection::Query"]),
    ("SQLite INSERT resource_version, resource_token (Session::Execute)",
     ["SqliteConnection::Execute"]),
    ("SQLite, other", ["sqlite3"]),
    ("rhip db layer (bind, rows, params, statement cache)", ["SqliteConnection", "MatchParams"]),
    ("request JSON parse (json::Parse)", ["json::Parse", "Parser::Parse"]),
    ("bundle entry parsing/copies (ParseEntries)", ["ParseEntries"]),
    ("response JSON serialize", ["Serialize"]),
    ("HTTP (Beast parse/write, socket)", ["beast", "asio", "sock_", "tcp_"]),
    ("malloc/free (JSON DOM of the bundle)", ["malloc", "free", "operator new", "operator delete"]),
    ("group-commit queue / thread wakeups", ["futex", "condition_variable", "pthread_cond"]),
]


def read_samples(lines):
    """Yields (tid, [frame symbols]) from `perf script -F tid,sym` output."""
    tid, frames = None, []
    for line in lines:
        if not line.strip():
            if tid is not None:
                yield tid, frames
            tid, frames = None, []
        elif tid is None:
            tid = line.split()[0]
        else:
            parts = line.strip().split(None, 1)
            frames.append(parts[1] if len(parts) > 1 else parts[0])
    if tid is not None:
        yield tid, frames


def stage_of(frames):
    for name, needles in STAGES:
        for frame in frames:
            if any(n in frame for n in needles):
                return name
    return "other (kernel scheduling, unresolved libc/libsqlite frames, ...)"


def print_table(title, counts, total_all):
    n = sum(counts.values())
    print(f"{title}: {n} samples ({n / total_all:.0%} of all)")
    for name, c in counts.most_common():
        print(f"  {c / n:6.1%}  {name}")


def main():
    by_thread = collections.defaultdict(collections.Counter)
    for tid, frames in read_samples(sys.stdin):
        by_thread[tid][stage_of(frames)] += 1
    if not by_thread:
        sys.exit("no samples")
    total = sum(sum(c.values()) for c in by_thread.values())
    busiest = max(by_thread, key=lambda t: sum(by_thread[t].values()))
    others = collections.Counter()
    for tid, c in by_thread.items():
        if tid != busiest:
            others.update(c)
    print_table(f"busiest thread {busiest}", by_thread[busiest], total)
    if others:
        print_table("all other threads", others, total)


if __name__ == "__main__":
    main()
