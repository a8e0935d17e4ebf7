"""Trust lookup benchmark (`make bench`). Not a test: pytest does not collect this folder.

Starts gunicorn with the production settings (plus the benchmark-only comparison views) on
loopback, pinned to CPU 0; drives it with wrk pinned to CPU 1. The application server has
CPU 0 to itself, as it would have its own cores in production: wrk and a Redis started for
the benchmark (empty, nothing saved, stopped for real for the "Redis down" figures) share
CPU 1. PostgreSQL is the one configured.

Every scenario runs BENCH_RUNS times (default 5), interleaved with the bare view; a ratio is
the median over rounds of the scenario's throughput to the bare view's in the same round, so
the machine's drift between rounds (steal time, I/O) cancels out. Prints the figures of
issue 4 and writes them as JSON to bench/results/.

Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/aeo_bench; the
database is created if missing and its registry tables are EMPTIED), BENCH_REDIS_URL (an
existing Redis to use instead of starting one; its BENCH_REDIS_DBS, default 10,11,12 for
broker, cache and snapshots, are used and flushed of trust keys), BENCH_SECONDS (per run,
default 5), BENCH_RUNS (default 5), BENCH_BIG (default 1000000), BENCH_SMALL (default
10000), BENCH_CONNECTIONS (default 16).
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PORT = int(os.environ.get("BENCH_PORT", "18477"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
SMALL = int(os.environ.get("BENCH_SMALL", "10000"))
BIG = int(os.environ.get("BENCH_BIG", "1000000"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
REDIS_PORT = int(os.environ.get("BENCH_OWN_REDIS_PORT", "18478"))
CLOSED_PORT_REDIS = "redis://127.0.0.1:9/0"  # nothing listens: connection refused


def _redis(url: str, db: str) -> str:
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, f"/{db}", "", ""))


class OwnRedis:
    """A Redis for this run only, on CPU 1 beside wrk: empty at the start, nothing saved."""

    def __init__(self) -> None:
        self.url = f"redis://127.0.0.1:{REDIS_PORT}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["taskset", "-c", "1", "redis-server", "--port", str(REDIS_PORT),
             "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", REDIS_PORT), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"redis-server did not start on port {REDIS_PORT}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(20)


def configure_env(redis_url: str | None = None) -> dict[str, str]:
    db_url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/aeo_bench")
    redis_url = redis_url or os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379")
    broker, cache, snaps = os.environ.get("BENCH_REDIS_DBS", "10,11,12").split(",")
    env = {
        "DJANGO_SETTINGS_MODULE": "tests.benchmarks.settings",
        "DEBUG": "false",
        "SECRET_KEY": "benchmark-only-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": db_url,
        "CELERY_BROKER_URL": _redis(redis_url, broker),
        "CACHE_URL": _redis(redis_url, cache),
        "TRUST_SNAPSHOT_REDIS_URL": _redis(redis_url, snaps),
        "API_KEY_THROTTLE_RATE": "1000000000/min",
        "TRUST_USER_THROTTLE_RATE": "1000000000/min",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    os.environ.update(env)
    os.environ.pop("REDIS_URL", None)
    return env


def ensure_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit((parts.scheme, parts.netloc, "/postgres", "", ""))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def log(msg: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {msg}", flush=True)


# --- Server and load generator ---------------------------------------------------------------


class Server:
    def __init__(self, extra_env: dict[str, str] | None = None) -> None:
        env = {**os.environ, **(extra_env or {})}
        self.proc = subprocess.Popen(
            ["taskset", "-c", "0", str(BIN / "gunicorn"), "aeo_registry.wsgi:application",
             "-b", f"127.0.0.1:{PORT}", "-w", "2", "-k", "gthread", "--threads", "2",
             "--keep-alive", "30", "--log-level", "warning"],
            cwd=ROOT, env=env, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=1)
                conn.request("GET", "/bench/bare/x/")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not start")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


_LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(paths: list[str], header: str | None, seconds: int = SECONDS) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write("local paths = {\n")
        script.write(",\n".join(json.dumps(p) for p in paths))
        script.write("\n}\nlocal n = #paths\nmath.randomseed(os.time())\n")
        script.write(
            "request = function()\n  return wrk.format('GET', paths[math.random(n)])\nend\n"
        )
    cmd = ["taskset", "-c", "1", "wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency",
           "-s", script.name]  # fmt: skip
    if header:
        cmd += ["-H", header]
    cmd.append(f"http://127.0.0.1:{PORT}")
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    os.unlink(script.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{errors.group(1)} error responses:\n{out}")
    lat = {m.group(1): float(m.group(2)) * _UNITS[m.group(3)] for m in _LATENCY.finditer(out)}
    return {"rps": rps, "p50_ms": lat.get("50", 0.0), "p99_ms": lat.get("99", 0.0)}


def rounds(scenarios: dict[str, tuple[list[str], str | None]]) -> dict[str, dict[str, float]]:
    """Each scenario RUNS times, interleaved so drifts in machine load hit them alike. The
    first scenario is the reference ("bare"): every other one also gets ``per_bare``, the
    median over rounds of its throughput to the reference's in the same round."""
    for paths, header in scenarios.values():
        wrk(paths, header, seconds=1)  # warm-up
    results: dict[str, list[dict[str, float]]] = {name: [] for name in scenarios}
    order = list(scenarios)
    for _ in range(RUNS):
        for name in order:
            paths, header = scenarios[name]
            results[name].append(wrk(paths, header))
        order.reverse()  # no scenario always runs first or last in a round
    reference = results[next(iter(scenarios))]
    out = {}
    for name, runs in results.items():
        out[name] = {
            "rps": statistics.median(r["rps"] for r in runs),
            "p50_ms": statistics.median(r["p50_ms"] for r in runs),
            "p99_ms": statistics.median(r["p99_ms"] for r in runs),
            "runs": [round(r["rps"], 1) for r in runs],
            "per_bare": statistics.median(
                r["rps"] / ref["rps"] for r, ref in zip(runs, reference, strict=True)
            ),
        }
        log(f"  {name:>16}: {out[name]['rps']:9.1f} req/s  runs {out[name]['runs']}  "
            f"/bare {out[name]['per_bare']:.3f}  p50 {out[name]['p50_ms']:.2f} ms  "
            f"p99 {out[name]['p99_ms']:.2f} ms")  # fmt: skip
    return out


# --- Scenarios --------------------------------------------------------------------------------


def _iowait_share(seconds: float) -> float:
    def sample() -> tuple[int, int]:
        with open("/proc/stat") as stat:
            fields = [int(x) for x in stat.readline().split()[1:]]
        return sum(fields), fields[4]  # total, iowait

    total0, wait0 = sample()
    time.sleep(seconds)
    total1, wait1 = sample()
    return (wait1 - wait0) / max(1, total1 - total0)


def settle(max_wait: float = 120.0) -> None:
    """Let a bulk load's after-effects finish before measuring: autovacuum and the checkpoint
    PostgreSQL owes for a million new rows, and the kernel's write-back of them. Measured here,
    they took 40% of the machine (iowait) for minutes after a load and halved even the bare
    view's throughput, which is the machine's state, not the lookup's."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "VACUUM (ANALYZE) stakeholders_stakeholder, stakeholders_identifier, "
            "stakeholders_stakeholder_roles"
        )
        cur.execute("CHECKPOINT")
    os.sync()
    deadline = time.monotonic() + max_wait
    while time.monotonic() < deadline and _iowait_share(2.0) > 0.05:
        pass


def sample_paths(prefix: str, upto: int, k: int = 5000) -> list[str]:
    from tests.benchmarks.load import eori

    rng = random.Random(42)
    return [f"{prefix}{eori(rng.randint(1, upto))}/" for _ in range(k)]


def bulk_vs_singles(api_key: str, upto: int) -> dict[str, float]:
    from tests.benchmarks.load import eori

    rng = random.Random(7)
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    headers = {"Authorization": f"Api-Key {api_key}", "Content-Type": "application/json"}
    ids = [eori(rng.randint(1, upto)) for _ in range(3000)]
    body = json.dumps({"items": [{"id_type": "EORI", "id": i} for i in ids]})
    bulk_times, single_times = [], []
    for _ in range(max(RUNS, 3)):
        t = time.perf_counter()
        conn.request("POST", "/api/v1/trust/lookup/", body=body, headers=headers)
        response = conn.getresponse()
        payload = response.read()
        bulk_times.append(time.perf_counter() - t)
        assert response.status == 200 and len(json.loads(payload)["items"]) == 3000
    for _ in range(RUNS):
        t = time.perf_counter()
        for i in ids:
            conn.request("GET", f"/api/v1/trust/EORI/{i}/", headers=headers)
            r = conn.getresponse()
            r.read()
            assert r.status == 200
        single_times.append(time.perf_counter() - t)
    return {
        "bulk_3000_s": statistics.median(bulk_times),
        "singles_3000_sequential_s": statistics.median(single_times),
    }


def suspension_visibility(api_key: str, holders: list[int], tries: int = 7) -> list[float]:
    from django.db import transaction
    from django.utils import timezone

    from accreditation.models import Authorisation, AuthorisationStatusInterval
    from accreditation.signals import authorisation_changed

    worker = subprocess.Popen(
        ["taskset", "-c", "0", str(BIN / "celery"), "-A", "aeo_registry", "--quiet", "worker",
         "-P", "solo", "--without-gossip", "--without-mingle", "--without-heartbeat",
         "--loglevel", "WARNING"],
        cwd=ROOT, env=os.environ.copy(), start_new_session=True,
    )  # fmt: skip
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
    headers = {"Authorization": f"Api-Key {api_key}"}

    def switch(auth: Authorisation, status: str) -> None:
        with transaction.atomic():
            now = timezone.now()
            row = AuthorisationStatusInterval.objects.select_for_update().get(
                authorisation=auth, type="AEOS", valid_to__isnull=True
            )
            row.valid_to = now
            row.save(update_fields=["valid_to"])
            AuthorisationStatusInterval.objects.create(
                authorisation=auth, type="AEOS", status=status, valid_from=now
            )
            authorisation_changed.send(
                sender=Authorisation, authorisation_id=auth.pk, holder_id=auth.holder_id,
                change="SUSPENDED" if status == "SUSPENDED" else "REINSTATED",
            )  # fmt: skip

    def wait_for(eori_value: str, suspended: bool, start: float) -> float:
        while True:
            conn.request("GET", f"/api/v1/trust/EORI/{eori_value}/", headers=headers)
            item = json.loads(conn.getresponse().read())
            if ("AEOS" in item["suspended_types"]) == suspended:
                return time.perf_counter() - start
            if time.perf_counter() - start > 30:
                raise RuntimeError("the suspension never showed")
            time.sleep(0.001)

    from tests.benchmarks.load import eori

    delays = []
    try:
        time.sleep(3)  # worker start-up
        for i, holder in enumerate(holders[: tries + 1]):
            auth = Authorisation.objects.get(holder_id=holder)
            switch(auth, "SUSPENDED")
            start = time.perf_counter()  # the commit has returned
            delay = wait_for(eori(holder), True, start)
            if i:  # the first one warms the worker up
                delays.append(delay)
            switch(auth, "ACTIVE")
            wait_for(eori(holder), False, time.perf_counter())
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(20)
    return delays


# --- Main -------------------------------------------------------------------------------------


def main() -> int:
    for tool in ("wrk", "taskset"):
        if not shutil.which(tool):
            print(f"error: {tool} is needed (apt-get install wrk util-linux)", file=sys.stderr)
            return 2
    own_redis = None
    if "BENCH_REDIS_URL" not in os.environ:
        if not shutil.which("redis-server"):
            print("error: redis-server is needed, or BENCH_REDIS_URL", file=sys.stderr)
            return 2
        own_redis = OwnRedis()
        own_redis.start()
    try:
        return measure(own_redis)
    finally:
        if own_redis:
            own_redis.stop()


def measure(own_redis: OwnRedis | None) -> int:
    env = configure_env(own_redis.url if own_redis else None)
    ensure_database(env["DATABASE_URL"])
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token
    from rest_framework_api_key.models import APIKey

    from accreditation.trust import services
    from accreditation.trust.snapshots import get_store
    from tests.benchmarks import load

    results: dict[str, object] = {
        "started": datetime.now(UTC).isoformat(),
        "runs": RUNS,
        "seconds": SECONDS,
        "connections": CONNECTIONS,
        "redis": "own, CPU 1" if own_redis else env["CACHE_URL"],
    }
    log(f"migrating and loading {SMALL} identifiers")
    call_command("migrate", verbosity=0)
    load.reset()
    if not own_redis:
        get_store().flush()
    load.load_stakeholders(1, SMALL)
    holders = load.grant_every(10, SMALL)
    t = time.perf_counter()
    services.snapshots_rebuild_all(batch_size=5000)
    results["rebuild_small_s"] = time.perf_counter() - t
    settle()
    _, api_key = APIKey.objects.create_key(name="bench")
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username="bench-naive")
    token, _ = Token.objects.get_or_create(user=user)

    key_header = f"Authorization: Api-Key {api_key}"
    small_paths = sample_paths("/api/v1/trust/EORI/", SMALL)
    bare_paths = sample_paths("/bench/bare/", SMALL)
    naive_paths = sample_paths("/bench/naive/", SMALL)

    log("server up (Redis snapshots): bare / trust / naive DRF")
    server = Server()
    try:
        main_runs = rounds({
            "bare": (bare_paths, None),
            "trust": (small_paths, key_header),
            "naive_drf": (naive_paths, f"Authorization: Token {token.key}"),
        })  # fmt: skip
        results["small"] = main_runs
        log("bulk of 3,000 vs 3,000 singles")
        results["bulk"] = bulk_vs_singles(api_key, SMALL)
        log("suspension visibility (commit → lookup shows it), Celery worker on CPU 0")
        results["visibility_s"] = suspension_visibility(api_key, holders)
    finally:
        server.stop()

    if own_redis:
        log("Redis stopped; server up without it")
        own_redis.stop()
        server = Server({"LOG_LEVEL": "ERROR"})  # not a warning per process per second
    else:
        log("server up with the snapshot store on a closed port (Redis down)")
        server = Server({"TRUST_SNAPSHOT_REDIS_URL": CLOSED_PORT_REDIS})
    try:
        results["redis_down"] = rounds({
            "bare": (bare_paths, None),
            "trust_redis_down": (small_paths, key_header),
        })  # fmt: skip
    finally:
        server.stop()
    if own_redis:
        own_redis.start()  # empty again: the rebuild below writes every snapshot

    log(f"loading up to {BIG} identifiers")
    t = time.perf_counter()
    load.load_stakeholders(SMALL + 1, BIG - SMALL)
    results["load_big_s"] = time.perf_counter() - t
    log(f"  loaded in {results['load_big_s']:.0f} s; rebuilding snapshots")
    t = time.perf_counter()
    services.snapshots_rebuild_all(batch_size=5000)
    results["rebuild_big_s"] = time.perf_counter() - t
    log(f"  rebuilt in {results['rebuild_big_s']:.0f} s; settling (vacuum, checkpoint, write-back)")
    t = time.perf_counter()
    settle()
    log(f"  settled in {time.perf_counter() - t:.0f} s")
    server = Server()
    try:
        results["big"] = rounds({
            "bare": (bare_paths, None),
            "trust_small_ids": (small_paths, key_header),
            "trust_1M": (sample_paths("/api/v1/trust/EORI/", BIG), key_header),
        })  # fmt: skip
    finally:
        server.stop()
    import redis

    snaps = redis.Redis.from_url(env["TRUST_SNAPSHOT_REDIS_URL"])
    results["lookup_log_queued"] = snaps.llen("trust:lookuplog")
    snaps.delete("trust:lookuplog")

    report(results)
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"trust-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(results, indent=2))
    log(f"written {out}")
    return 0


def _per_round(a: dict, b: dict) -> float:
    """Median over rounds of a's throughput to b's in the same round."""
    return statistics.median(x / y for x, y in zip(a["runs"], b["runs"], strict=True))


def report(r: dict) -> None:
    small, down, big = r["small"], r["redis_down"], r["big"]
    bare = small["bare"]["rps"]
    trust = small["trust"]["rps"]
    vis = r["visibility_s"]
    bulk = r["bulk"]
    by_throughput = bulk["bulk_3000_s"] / (3000 / trust)
    rows = [
        ("single / bare JsonResponse", small["trust"]["per_bare"], "≥ 0.60"),
        ("single / naive DRF", _per_round(small["trust"], small["naive_drf"]), "≥ 4"),
        ("Redis down / bare", down["trust_redis_down"]["per_bare"], "≥ 0.20"),
        ("bulk 3,000 / 3,000 sequential singles",
         bulk["bulk_3000_s"] / bulk["singles_3000_sequential_s"], "≤ 0.02"),
        ("bulk 3,000 / 3,000 singles at measured throughput", by_throughput, "≤ 0.02"),
        (f"{BIG:,} ids / {SMALL:,} ids (each to its run's bare)",
         big["trust_1M"]["per_bare"] / small["trust"]["per_bare"], "≥ 0.90"),
        (f"{BIG:,} ids / {SMALL:,} ids (same server run, same data)",
         _per_round(big["trust_1M"], big["trust_small_ids"]), "≥ 0.90"),
        (f"{BIG:,} ids / {SMALL:,} ids (raw req/s, 1M run vs first run)",
         big["trust_1M"]["rps"] / trust, "≥ 0.90"),
    ]  # fmt: skip
    print(f"\n=== Trust lookup benchmark (median of {RUNS} runs, {SECONDS} s each, "
          f"{CONNECTIONS} connections; Redis: {r.get('redis', '?')}) ===")  # fmt: skip
    print(f"bare JsonResponse      {bare:9.1f} req/s")
    print(f"trust single (Redis)   {trust:9.1f} req/s  p50 {small['trust']['p50_ms']:.2f} ms  "
          f"p99 {small['trust']['p99_ms']:.2f} ms")  # fmt: skip
    print(f"naive DRF              {small['naive_drf']['rps']:9.1f} req/s")
    print(f"trust, Redis down      {down['trust_redis_down']['rps']:9.1f} req/s  p50 "
          f"{down['trust_redis_down']['p50_ms']:.2f} ms  p99 "
          f"{down['trust_redis_down']['p99_ms']:.2f} ms")  # fmt: skip
    print(
        f"trust, {BIG:,} ids  {big['trust_1M']['rps']:9.1f} req/s  p50 "
        f"{big['trust_1M']['p50_ms']:.2f} ms  p99 {big['trust_1M']['p99_ms']:.2f} ms"
    )
    print(f"bulk 3,000: {bulk['bulk_3000_s'] * 1000:.1f} ms; 3,000 sequential singles: "
          f"{bulk['singles_3000_sequential_s'] * 1000:.0f} ms")  # fmt: skip
    print(
        f"suspension visible after commit: median {statistics.median(vis) * 1000:.1f} ms, "
        f"max {max(vis) * 1000:.1f} ms over {len(vis)} suspensions (target ≤ 1000 ms)"
    )
    print(f"load {BIG - SMALL:,} identifiers: {r['load_big_s']:.0f} s; rebuild all snapshots: "
          f"{r['rebuild_big_s']:.0f} s")  # fmt: skip
    print()
    for name, value, target in rows:
        print(f"  {name:<58} {value:8.3f}   target {target}")


if __name__ == "__main__":
    sys.exit(main())
