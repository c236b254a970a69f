"""The specialist's 2-page PDF against WeasyPrint alone, in one run (issue 21's budget: at most 3x).

Both are rendered in this process, each several times, and the medians compared:
  a  WeasyPrint, a one-page document with the same fonts (Noto Sans CJK, Liberation Sans) and a few lines of
     Chinese: the floor of any PDF this app makes;
  p  this app's default "summary for the specialist" of the mainland-China journey (3 prior lines, progressed on
     the last), A4, zh-Hans, one language, through the real route (/results/pdf) with the session's answers.
Pages are counted with pypdf, so the figure is known to be the 2-page default. Run: python bench/pdf_bench.py
"""

from __future__ import annotations

import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from webapp import create_app  # noqa: E402
from webapp.results.answers import SESSION_ANSWERS  # noqa: E402

ROUNDS = 5
CN_JOURNEY = {
    "region": "CN",
    "adult": True,
    "relapsed_or_refractory": True,
    "prior_lines": 3,
    "drugs": ["bortezomib", "lenalidomide", "daratumumab"],
    "progressed_on_last": True,
}
FLOOR_HTML = """<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8"><style>
@page { size: A4; margin: 18mm }
body { font-family: "Liberation Sans", "Noto Sans CJK SC", sans-serif; font-size: 10pt }
h1 { font-size: 16pt }
</style></head><body>
<h1>给专科医生的摘要</h1>
<p>多发性骨髓瘤，既往接受过三线治疗，最近一次治疗期间病情加重。</p>
<p>西达基奥仑赛注射液：说明书的全部条件均符合。</p>
<p>特立妥单抗注射液：说明书的全部条件均符合。</p>
<p>Summary for the specialist, rules version and date.</p>
</body></html>"""


def _median_seconds(render) -> tuple[float, bytes]:
    times, out = [], b""
    render()  # warm-up: fonts loaded, templates compiled
    for _ in range(ROUNDS):
        start = time.perf_counter()
        out = render()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def _pages(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def main() -> None:
    from weasyprint import HTML

    floor, floor_pdf = _median_seconds(lambda: HTML(string=FLOOR_HTML).write_pdf(pdf_variant="pdf/ua-1"))
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "bench-" + "x" * 40,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db",
                "RATELIMIT_ENABLED": False,
                "PDF_WAIT_SECONDS": 60,
            }
        )
        client = app.test_client()
        with client.session_transaction() as sess:
            sess[SESSION_ANSWERS] = dict(CN_JOURNEY)

        def app_pdf() -> bytes:
            response = client.get("/results/pdf?lang=zh-Hans&paper=a4")
            if response.status_code != 200:
                raise SystemExit(f"/results/pdf answered {response.status_code}")
            return response.data

        spent, pdf = _median_seconds(app_pdf)
    print(f"PDF, median of {ROUNDS} after a warm-up, in one process:")
    print(
        f"  a  WeasyPrint, one page, same fonts, a few lines of Chinese   {floor * 1000:8.0f} ms  ({_pages(floor_pdf)} page)"
    )
    print(
        f"  p  specialist's summary, CN journey, A4, zh-Hans, one language {spent * 1000:8.0f} ms  ({_pages(pdf)} pages)"
    )
    ratio = spent / floor
    verdict = "OK" if ratio <= 3 else "not met"
    print(f"  p/a {ratio:.2f}x  (budget <= 3x: {verdict})")


if __name__ == "__main__":
    main()
