"""HTTP benchmarks, measured in one run and printed as ratios (issue 12).

The same gunicorn configuration (make run's: deploy/gunicorn.conf.py, 2 gthread workers on 127.0.0.1, rate
limits off) serves a bare Flask app and the real app; wrk drives each endpoint in turn, the rounds interleaved
so drift on a shared machine hits all alike. The budgets compare with the bare app's small constant bodies
(issue 12); for information the bare app also serves the very bytes of a check's answer and of a results page,
the floor for sending that many bytes, and so does this app's own stack with no work (bench/stack_app.py):
what is left of each budget for the work. Also: page weight as served (compressed, with every asset),
start-up time (median of three starts), and RSS per worker after 1,000 requests. Only loopback addresses are
used; every run is bounded in time.
"""

from __future__ import annotations

import gzip
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
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
SECRET = "bench-" + "k" * 40
CHECK_BODY = {
    "region": "CN",
    "prior_lines": 3,
    "drugs": ["bortezomib", "lenalidomide"],
    "relapsed_or_refractory": True,
    "adult": True,
}
# Many people, many different answers: caches keyed by the answers (webapp/fragments.py) must not flatter the
# figures, so the "varied" runs draw each request from this many distinct answer sets.
POOL = int(os.environ.get("BENCH_POOL", "500"))
DURATION = os.environ.get("BENCH_DURATION", "5s")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))


def answer_pool(n: int, seed: int = 12) -> list[dict[str, object]]:
    """``n`` distinct, plausible answer sets (API shape), the same on every run."""
    rng = random.Random(seed)
    regions = ["US", "EU", "GB", "CN", "HK", "MO", "JP", "CA"]
    homes = [None, None, None, "SG", "TH", "MY", "GB", "US", "CN", "DE", "AU", "IN", "ID", "VN"]
    drugs = ["bortezomib", "carfilzomib", "ixazomib", "lenalidomide", "pomalidomide", "thalidomide"]
    drugs += ["daratumumab", "isatuximab", "elotuzumab", "selinexor", "melphalan", "cyclophosphamide"]
    tri = [True, False, None]
    seen: set[str] = set()
    pool: list[dict[str, object]] = []
    while len(pool) < n:
        had = sorted(rng.sample(drugs, rng.randint(0, 6)))
        answers: dict[str, object] = {
            "region": rng.choice(regions),
            "residence": rng.choice(homes),
            "adult": rng.choice([True, True, None]),
            "prior_lines": rng.choice([None, 0, 1, 2, 3, 3, 4, 4, 5, 6, 8]),
            "drugs": had if rng.random() < 0.8 else None,
            "refractory": {d: rng.choice(tri) for d in had if rng.random() < 0.5},
            "relapsed_or_refractory": rng.choice([True, True, True, None, False]),
            "progressed_on_last": rng.choice(tri),
            "prior_bcma_car_t": rng.choice([False, False, None, True]),
        }
        if rng.random() < 0.3:
            answers["exposed_classes"] = {"anti-CD38": rng.choice(tri)}
        key = json.dumps(answers, sort_keys=True)
        if key not in seen:
            seen.add(key)
            pool.append(answers)
    return pool


def scaled_rules(factor: int) -> Path:
    """A copy of rules/ with every label ``factor`` times (copies get ids ending in -x1, -x2, ...), for
    measuring how the check grows with the number of labels. Generated here, never in rules/."""
    root = Path(tempfile.mkdtemp()) / "rules"
    shutil.copytree(ROOT / "rules", root)
    for path in sorted((root / "products").glob("*.toml")):
        text = path.read_text("utf-8")
        labels = text[text.index("[[labels]]") :]  # the label blocks close each product file
        ids = re.findall(r'^id = "([^"]+)"$', labels, flags=re.M)
        copies = []
        for k in range(1, factor):
            copy = labels
            for ident in sorted(ids, key=len, reverse=True):
                copy = copy.replace(f'"{ident}"', f'"{ident}-x{k}"')
            copies.append(copy.rstrip("\n") + "\n")
        path.write_text(text.rstrip("\n") + "\n\n" + "\n".join(copies), "utf-8")
    return root


def post_size(url: str, body: dict[str, object]) -> int:
    request = urllib.request.Request(url + "/api/v1/check", data=json.dumps(body).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as r:
        return len(r.read())


def lua_pick(method: str, items: list[str], header: str) -> str:
    """A wrk script sending each request, to the URL wrk is given, with one of ``items`` at random: the body
    (``header="body"``, as JSON) or the value of the header named ``header``."""
    quoted = ",\n".join(json.dumps(item) for item in items)
    if header == "body":
        fmt = f'return wrk.format("{method}", nil, {{["Content-Type"] = "application/json"}}, items[i])'
    else:
        fmt = f'return wrk.format("{method}", nil, {{["{header}"] = items[i]}})'
    return f"items = {{\n{quoted}\n}}\nrequest = function()\n  local i = math.random(#items)\n  {fmt}\nend\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(
    app: str, env: dict[str, str], workers: int = 2, ready: str = "/healthz"
) -> tuple[subprocess.Popen[bytes], int, float]:
    """Start gunicorn; return the process, its port and the seconds until ``ready`` first answered 200."""
    port = free_port()
    started = time.perf_counter()
    proc = subprocess.Popen(
        # make run's serving set-up (deploy/gunicorn.conf.py: gthread workers), the bare app's as well as ours.
        [
            str(BIN / "gunicorn"),
            "-c",
            str(ROOT / "deploy" / "gunicorn.conf.py"),
            "--log-level",
            "warning",
            app,
        ],
        cwd=ROOT,
        env={**os.environ, "WEB_BIND": f"127.0.0.1:{port}", "WEB_WORKERS": str(workers), **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{ready}", timeout=1) as r:
                if r.status == 200:
                    return proc, port, time.perf_counter() - started
        except OSError:
            time.sleep(0.02)
    stop(proc)
    raise RuntimeError(f"{app} did not start")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def wrk(url: str, lua: str | None = None, headers: dict[str, str] | None = None) -> tuple[float, float, int]:
    """requests/s, p99 in ms, and non-2xx/3xx responses plus socket errors."""
    cmd = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}", "--latency"]
    for k, v in (headers or {}).items():
        cmd += ["-H", f"{k}: {v}"]
    if lua:
        cmd += ["-s", lua]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=120, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99_match = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    p99 = float(p99_match.group(1)) * scale[p99_match.group(2)] if p99_match else float("nan")
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failures = int(bad.group(1)) if bad else 0
    if errors:
        failures += sum(int(x) for x in errors.groups())
    return rps, p99, failures


def session_cookie(answers: dict[str, object] | None = None) -> str:
    """A signed session holding a check's answers, as the form would leave it (for the results page)."""
    return session_cookies([answers or CHECK_BODY])[0]


def session_cookies(pool: list[dict[str, object]]) -> list[str]:
    """One signed session per answer set, as the form leaves it: the answers, and the CSRF token of the form
    they were sent with (Flask-WTF's random hex, a different one per person). Without the token every
    results page would mint one and send the whole session back, which no one coming from the form causes."""
    from webapp import create_app
    from webapp.results.answers import SESSION_ANSWERS

    app = create_app({"SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True})
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    name = app.config["SESSION_COOKIE_NAME"]
    field = app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    rng = random.Random(7)
    return [
        f"{name}={serializer.dumps({SESSION_ANSWERS: answers, field: f'{rng.getrandbits(160):040x}'})}"
        for answers in pool
    ]


def cpu_times() -> list[int]:
    """The machine's CPU time counters (/proc/stat: user, nice, system, idle, iowait, irq, softirq, steal);
    empty where there is no /proc."""
    try:
        with open("/proc/stat") as f:
            return [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return []


def machine() -> str:
    """What ran the benchmark: the CPUs and the Python. The ratios depend on the machine (a quieter or
    faster CPU speeds the bare app more than the real one), so runs are compared on the same kind."""
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    cpus = os.cpu_count() or 0
    return f"{cpus} CPUs{f' ({model})' if model else ''}, Python {sys.version.split()[0]}"


def rss_of_workers(master: int) -> list[float]:
    out = subprocess.run(["ps", "--ppid", str(master), "-o", "rss="], capture_output=True, text=True).stdout
    return [int(x) / 1024 for x in out.split()]


def page_weight(base: str, path: str, cookie: str | None = None) -> tuple[int, int, list[str]]:
    """Bytes on the wire (compressed as served) for the page and every asset it loads, and the request count."""
    headers = {"Accept-Encoding": "gzip"}
    if cookie:
        headers["Cookie"] = cookie

    def fetch(url: str) -> tuple[bytes, bytes]:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as r:
            raw = r.read()
            body = gzip.decompress(raw) if r.headers.get("Content-Encoding") == "gzip" else raw
            return raw, body

    raw, body = fetch(base + path)
    total, requests = len(raw), 1
    html = body.decode("utf-8")
    # What the browser fetches by itself: scripts, images, stylesheets and icons (links to sources are not).
    assets = re.findall(r'(?:<script[^>]+src|<img[^>]+src|<link[^>]+href)="(/[^"]+)"', html)
    third_party = re.findall(
        r'(?:<script[^>]+src|<img[^>]+src|<link[^>]+href|<iframe[^>]+src)="(https?://[^"]+)"', html
    )
    for asset in dict.fromkeys(assets):
        total += len(fetch(base + asset)[0])
        requests += 1
    return total, requests, [u for u in third_party if not u.startswith(base)]


def main() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (make bench installs it from Debian's packages)")
    env = {"SECRET_KEY": SECRET, "FLASK_RATELIMIT_ENABLED": "false", "INSTANCE_PATH": tempfile.mkdtemp()}
    real, real_port, _ = start("webapp:create_app()", env)
    # The same app with the fragment cache off: every fragment built on every request (the worst case).
    cold, cold_port, _ = start("webapp:create_app()", {**env, "FLASK_FRAGMENT_CACHE_BYTES": "0"})
    # The same app over 2x and 4x the labels (generated copies): how the check grows with the labels.
    scaled = {
        f: start("webapp:create_app()", {**env, "FLASK_RULES_DIR": str(scaled_rules(f))}) for f in (2, 4)
    }
    bare = stack = None
    try:
        scripts = Path(tempfile.mkdtemp())
        # The bare app also serves, as constant bodies, the very bytes of (b) and (c): the floor for those bytes.
        real_url = f"http://127.0.0.1:{real_port}"
        cookie = session_cookie()
        same = {"BENCH_SAME_JSON": scripts / "same.json", "BENCH_SAME_HTML": scripts / "same.html"}
        request = urllib.request.Request(
            real_url + "/api/v1/check", data=json.dumps(CHECK_BODY).encode(), method="POST"
        )
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=10) as r:
            same["BENCH_SAME_JSON"].write_bytes(r.read())
        # The therapy detail page of the first label in that answer (issue 21: one label's whole card).
        detail_id = json.loads(same["BENCH_SAME_JSON"].read_bytes())["results"][0]["label_id"]
        with urllib.request.urlopen(
            urllib.request.Request(real_url + "/results", headers={"Cookie": cookie}), timeout=10
        ) as r:
            same["BENCH_SAME_HTML"].write_bytes(r.read())
        same_env = {k: str(v) for k, v in same.items()}
        bare, bare_port, _ = start("bench.bare_app:app", {**env, **same_env})
        # This app's own stack (every hook and header) sending the same bytes with no work (bench/stack_app.py).
        stack, stack_port, _ = start("bench.stack_app:app", {**env, **same_env})
        pool = answer_pool(POOL)
        one = scripts / "one.lua"
        one.write_text(lua_pick("POST", [json.dumps(CHECK_BODY)], "body"))
        practice = scripts / "practice.lua"
        practice.write_text(lua_pick("POST", [json.dumps({**CHECK_BODY, "include": ["practice"]})], "body"))
        scaled_urls = {f: f"http://127.0.0.1:{port}" for f, (_proc, port, _s) in scaled.items()}
        varied = scripts / "varied.lua"
        varied.write_text(lua_pick("POST", [json.dumps(a) for a in pool], "body"))
        pages = scripts / "pages.lua"
        pages.write_text(lua_pick("GET", session_cookies(pool), "Cookie"))
        bare_url = f"http://127.0.0.1:{bare_port}"
        cold_url = f"http://127.0.0.1:{cold_port}"
        stack_url = f"http://127.0.0.1:{stack_port}"
        cases = {
            "a  bare JSON (POST)": (bare_url + "/bare.json", str(one), None),
            "a' bare HTML page": (bare_url + "/bare.html", None, None),
            "a= bare, the bytes of b": (bare_url + "/same.json", str(one), None),
            'a"= bare, the bytes of c': (bare_url + "/same.html", None, None),
            "s= app's stack, bytes of b": (stack_url + "/api/v1/bench-floor", str(one), None),
            "s\"= app's stack, bytes of c": (stack_url + "/bench-floor.html", None, {"Cookie": cookie}),
            "b  check, one answer set": (real_url + "/api/v1/check", str(one), None),
            "b~ check, varied answers": (real_url + "/api/v1/check", str(varied), None),
            "b0 check, varied, no cache": (cold_url + "/api/v1/check", str(varied), None),
            "bp check, include practice": (real_url + "/api/v1/check", str(practice), None),
            "b2 check, 2x the labels": (scaled_urls[2] + "/api/v1/check", str(one), None),
            "b4 check, 4x the labels": (scaled_urls[4] + "/api/v1/check", str(one), None),
            "b2~ check, 2x labels, varied": (scaled_urls[2] + "/api/v1/check", str(varied), None),
            "b4~ check, 4x labels, varied": (scaled_urls[4] + "/api/v1/check", str(varied), None),
            "   home page": (real_url + "/", None, None),
            "   form page": (real_url + "/check", None, None),
            "c  results, one answer set": (real_url + "/results", None, {"Cookie": cookie}),
            "c~ results, varied answers": (real_url + "/results", str(pages), None),
            "c0 results, varied, no cache": (cold_url + "/results", str(pages), None),
            "d  therapy detail page": (real_url + f"/results/{detail_id}", None, {"Cookie": cookie}),
        }
        figures: dict[str, list[tuple[float, float, int]]] = {name: [] for name in cases}
        before = cpu_times()
        for _ in range(ROUNDS):  # interleaved rounds
            for name, (url, script, headers) in cases.items():
                figures[name].append(wrk(url, script, headers))
        after = cpu_times()
        print(f"machine: {machine()}")
        print(
            f"wrk -t2 -c{CONNECTIONS} -d{DURATION}, {ROUNDS} interleaved rounds, gunicorn as make run "
            "(2 gthread workers x 8 threads), limits off;"
            f" varied = each request one of {POOL} distinct answer sets"
        )
        if before and after:
            total = sum(after) - sum(before)
            steal = after[7] - before[7] if len(after) > 7 else 0
            print(
                f"CPU time taken by the hypervisor (steal) during the runs: {steal / total:.0%}"
                " (requests/s from runs far apart are not comparable; ratios from one run are, on the same kind"
                " of machine)"
            )
        summary = {}
        for name, runs in figures.items():
            rps = statistics.median(r[0] for r in runs)
            p99 = statistics.median(r[1] for r in runs)
            failures = sum(r[2] for r in runs)
            summary[name] = rps
            print(f"  {name:<30} {rps:8.0f} req/s   p99 {p99:7.1f} ms   errors/non-2xx: {failures}")
        a, a_html = summary["a  bare JSON (POST)"], summary["a' bare HTML page"]

        def ratio(label: str, value: float, budget: float) -> None:
            verdict = "OK" if value >= budget else "not met"
            print(f"  {label:<40} {value:5.2f}  (budget >= {budget:.2f}: {verdict})")

        print("ratios, one run:")
        ratio("b/a   check, one answer set / bare JSON", summary["b  check, one answer set"] / a, 0.50)
        ratio("b~/a  check, varied answers / bare JSON", summary["b~ check, varied answers"] / a, 0.50)
        ratio("b0/a  check, varied, no cache / bare JSON", summary["b0 check, varied, no cache"] / a, 0.50)
        b = summary["b  check, one answer set"]
        print("the check, for information (no budget): with practice content, and over 2x and 4x the labels")
        sizes = {
            "1x": post_size(real_url, CHECK_BODY),
            "1x, include practice": post_size(real_url, {**CHECK_BODY, "include": ["practice"]}),
            "2x": post_size(scaled_urls[2], CHECK_BODY),
            "4x": post_size(scaled_urls[4], CHECK_BODY),
        }
        us4 = {"region": "US", "prior_lines": 4, "adult": True, "relapsed_or_refractory": True}
        for label, value in (
            ("bp/a  check with include practice / bare JSON", summary["bp check, include practice"] / a),
            ("bp/b  include practice / lean", summary["bp check, include practice"] / b),
            ("b2/b  2x the labels / 1x (req/s)", summary["b2 check, 2x the labels"] / b),
            ("b4/b  4x the labels / 1x (req/s)", summary["b4 check, 4x the labels"] / b),
            (
                "b2~/b~ 2x / 1x, varied (req/s)",
                summary["b2~ check, 2x labels, varied"] / summary["b~ check, varied answers"],
            ),
            (
                "b4~/b~ 4x / 1x, varied (req/s)",
                summary["b4~ check, 4x labels, varied"] / summary["b~ check, varied answers"],
            ),
        ):
            print(f"  {label:<48} {value:5.2f}")
        print(
            "  answer bytes, one answer set: "
            + ", ".join(f"{k} {v / 1024:.1f} KB" for k, v in sizes.items())
            + f"; US patient, 4 prior lines: {post_size(real_url, us4) / 1024:.1f} KB (budget 30 KB)"
        )
        ratio("home / bare HTML", summary["   home page"] / a_html, 0.50)
        ratio("form / bare HTML", summary["   form page"] / a_html, 0.25)
        ratio(
            "c/a'  results overview, one answer set / bare HTML",
            summary["c  results, one answer set"] / a_html,
            0.30,
        )
        ratio(
            "c~/a' results overview, varied answers / bare HTML",
            summary["c~ results, varied answers"] / a_html,
            0.30,
        )
        ratio(
            "c0/a' results, varied, no cache / bare HTML",
            summary["c0 results, varied, no cache"] / a_html,
            0.30,
        )
        ratio("d/a'  therapy detail page / bare HTML", summary["d  therapy detail page"] / a_html, 0.25)

        same_json, same_html = summary["a= bare, the bytes of b"], summary['a"= bare, the bytes of c']
        print("the same, against the floor for sending their bytes (for information; no budget):")
        for label, value in (
            (
                "b/a=  check, one answer set / bare, same bytes",
                summary["b  check, one answer set"] / same_json,
            ),
            (
                'c/a"= results, one answer set / bare, same bytes',
                summary["c  results, one answer set"] / same_html,
            ),
            ("a=/a  bare, the bytes of b / bare JSON", same_json / a),
            ("a\"=/a' bare, the bytes of c / bare HTML", same_html / a_html),
        ):
            print(f"  {label:<48} {value:5.2f}")
        # If the work cost nothing, b/a would be s=/a and c/a' would be s"=/a': the ceilings of those ratios.
        stack_json, stack_html = (
            summary["s= app's stack, bytes of b"],
            summary["s\"= app's stack, bytes of c"],
        )
        print("this app's stack sending the same bytes with no work (bench/stack_app.py; for information):")
        for label, value in (
            ("s=/a   app's stack, bytes of b / bare JSON", stack_json / a),
            ("b/s=   check / app's stack, same bytes", summary["b  check, one answer set"] / stack_json),
            ("s\"=/a' app's stack, bytes of c / bare HTML", stack_html / a_html),
            ("c/s\"=  results / app's stack, same bytes", summary["c  results, one answer set"] / stack_html),
        ):
            print(f"  {label:<48} {value:5.2f}")

        print("page weight, compressed as served, with every asset (budget 50 KB, 5 requests):")
        for path, use_cookie in (("/", False), ("/check", False), ("/results", True)):
            size, count, third = page_weight(real_url, path, cookie if use_cookie else None)
            print(
                f"  {path:<10} {size / 1024:6.1f} KB in {count} requests; third-party requests: {len(third)}"
            )

        for _ in range(1000):
            with urllib.request.urlopen(real_url + "/", timeout=5) as r:
                r.read()
        rss = rss_of_workers(real.pid)
        startups = []
        for _ in range(3):  # the median of three starts, on a machine that has started the app before
            proc, _port, seconds = start("webapp:create_app()", env)
            stop(proc)
            startups.append(seconds)
        print(
            f"start-up to first answered request: {statistics.median(startups):.2f} s, median of 3"
            f" ({', '.join(f'{x:.2f}' for x in startups)}) (budget 1 s)"
        )
        print(
            f"RSS per worker after all of the above (caches full): {', '.join(f'{x:.0f} MB' for x in rss)}"
            " (budget 80 MB)"
        )
    finally:
        if bare is not None:
            stop(bare)
        if stack is not None:
            stop(stack)
        stop(real)
        stop(cold)
        for proc, _port, _seconds in scaled.values():
            stop(proc)


if __name__ == "__main__":
    main()
