"""Where a submission's time goes: queries and a cProfile of (a) and (b), in-process.

    .venv/bin/python -m bench.profile_submit [--requests 200] [--top 25] [--sql]

Same fresh setup as `make bench-submit` (bench.settings, a throwaway DATA_DIR, SQLite
unless --database-url), but requests go through Django's test client, so there is no
server, no network and no load: a diagnostic to read next to the benchmark's figures,
not a measurement of speed. Prints the SQL statements of one request of each target,
the in-process time per request, and the functions of the project (qms/, surveys/)
that take the most cumulative time in (a).
"""

import argparse
import cProfile
import pstats
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.run_submit import (
    BASELINE_PATH,
    FORM_PATH,
    ROOT,
    baseline_body,
    configure_environment,
    form_body,
    prepare_database,
    recreate_postgres_database,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sql", action="store_true", help="print each statement in full")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--redis-url", default="")
    args = parser.parse_args()

    run_dir = Path(tempfile.mkdtemp(prefix="qms-bench-profile-"))
    configure_environment(args, run_dir / "data")
    if args.database_url:
        recreate_postgres_database(args.database_url)
    info = prepare_database()

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from surveys.tokens import new_submission_token

    rng = random.Random(4)  # noqa: S311 - sample answers, not secrets
    client = Client(HTTP_HOST="127.0.0.1")

    def post_form() -> None:
        token = new_submission_token(info["version"])
        body = form_body(rng, token, info["cards"], info["pages"])
        reply = client.post(FORM_PATH, body, content_type="application/x-www-form-urlencoded")
        assert reply.status_code == 302, reply.status_code

    def post_baseline() -> None:
        body = baseline_body(rng, info["cards"])
        reply = client.post(BASELINE_PATH, body, content_type="application/x-www-form-urlencoded")
        assert reply.status_code == 302, reply.status_code

    print(f"{info['database']} + {info['cache']}; in-process (Django test client)")
    for label, post in (("(b) baseline", post_baseline), ("(a) form", post_form)):
        for _ in range(20):
            post()  # warm caches, templates, translations
        with CaptureQueriesContext(connection) as queries:
            post()
        print(f"\n{label}: {len(queries.captured_queries)} SQL statements per request")
        for query in queries.captured_queries:
            sql = query["sql"]
            print("   ", sql if args.sql else sql[:110])
        started = time.perf_counter()
        for _ in range(args.requests):
            post()
        per_request = (time.perf_counter() - started) / args.requests * 1000
        print(f"{label}: {per_request:.2f} ms per request ({args.requests} requests)")

    profile = cProfile.Profile()
    profile.enable()
    for _ in range(args.requests):
        post_form()
    profile.disable()
    print(f"\n(a) form, cProfile of {args.requests} requests, project code by cumulative time:")
    stats = pstats.Stats(profile, stream=sys.stdout)
    stats.sort_stats("cumulative").print_stats(rf"^{ROOT}/(qms|surveys)/", args.top)
    connection.close()
    shutil.rmtree(run_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
