#!/usr/bin/env bash
# Lighthouse (npm, run with Debian's Chromium, mobile profile) on the form and results pages.
# Installs lighthouse into a temporary folder (nothing is committed), serves the app on 127.0.0.1 with
# rate limits off, gives the results page a signed session holding one check, prints the three scores.
set -euo pipefail
cd "$(dirname "$0")/.."
LH_DIR=${LH_DIR:-/tmp/maa-lighthouse}
mkdir -p "$LH_DIR"
[ -x "$LH_DIR/node_modules/.bin/lighthouse" ] || (cd "$LH_DIR" && npm install --silent lighthouse@12.8.2 >/dev/null)
export SECRET_KEY="lighthouse-$(head -c 24 /dev/urandom | base64 | tr -dc a-zA-Z0-9)"
PORT=${PORT:-5089}
INSTANCE_PATH=$(mktemp -d) FLASK_RATELIMIT_ENABLED=false WEB_BIND="127.0.0.1:$PORT" .venv/bin/gunicorn \
  -c deploy/gunicorn.conf.py --daemon --pid "$LH_DIR/gunicorn.pid" 'webapp:create_app()'
trap 'kill "$(cat "$LH_DIR/gunicorn.pid")"' EXIT
# Wait for the app (a cold start can take a few seconds), rather than a fixed sleep.
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
COOKIE=$(.venv/bin/python - <<'PY'
import os
from webapp import create_app
from webapp.results.answers import SESSION_ANSWERS
app = create_app({"SECRET_KEY": os.environ["SECRET_KEY"], "SQLALCHEMY_DATABASE_URI": "sqlite://"})
answers = {"region": "CN", "prior_lines": 3, "drugs": ["bortezomib", "lenalidomide"],
           "relapsed_or_refractory": True, "adult": True}
print("session=" + app.session_interface.get_signing_serializer(app).dumps({SESSION_ANSWERS: answers}))
PY
)
FLAGS="--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync --no-first-run --disable-quic"
for page in check results; do
  # Chromium's first start on a cold machine sometimes fails: one more try before giving up.
  for attempt in 1 2; do
    rm -f "$LH_DIR/$page.json"
    CHROME_PATH=/usr/bin/chromium "$LH_DIR/node_modules/.bin/lighthouse" "http://127.0.0.1:$PORT/$page" --quiet \
      --output=json --output-path="$LH_DIR/$page.json" --only-categories=performance,accessibility,best-practices \
      --extra-headers="{\"Cookie\": \"$COOKIE\"}" --chrome-flags="$FLAGS" >/dev/null 2>&1 && break
    [ "$attempt" = 2 ] && { echo "lighthouse failed twice on /$page" >&2; exit 1; }
  done
  python3 -c "
import json, sys
c = json.load(open('$LH_DIR/$page.json'))['categories']
print('/$page', ', '.join(f'{k} {c[k][\"score\"]:.2f}' for k in c), '(budgets: accessibility 1.00, best-practices >= 0.95)')
"
done
