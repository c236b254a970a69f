"""/labels/changes (the label events, newest first) and /labels/changes.atom (the same as an Atom 1.0 feed).

The feed is for feed readers, which poll: it carries an ETag and Last-Modified, answers 304 to a matching
conditional request, and may be cached (it holds no personal data, so it is exempt from the pages'
``no-store``). Its language comes only from ``?lang``: a reader's cookie or Accept-Language never changes
it, and it sets no cookie. Absolute links come from PUBLIC_BASE_URL, never from the request's Host header.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from xml.etree import ElementTree as ET

from flask import Response, current_app, g, render_template, request, url_for

from ..eligibility.model import Rules
from ..i18n import LANGUAGES, gettext, names, normalize_lang, public_url, use_locale
from . import bp
from .describe import date_text, today
from .events import ID_NAMESPACE, Event, EventView, describe_event, filter_events

ATOM_NS = "http://www.w3.org/2005/Atom"
XML_NS = "http://www.w3.org/XML/1998/namespace"
# Feed readers poll; the data changes only with a deploy. A conditional request after this costs a 304.
FEED_MAX_AGE = 900
FEED_ID_NAMESPACE = "label-changes"

ET.register_namespace("", ATOM_NS)


def _rules() -> Rules:
    return current_app.extensions["engine"].rules


def all_events() -> list[Event]:
    return current_app.extensions["label_events"]


def _filters(data: Rules) -> tuple[str | None, str | None]:
    """The region and product asked for; an id we do not know is ignored (the form shows "all")."""
    region = (request.args.get("region") or "").strip().upper() or None
    product = (request.args.get("product") or "").strip().lower() or None
    return (region if region in data.regions else None, product if product in data.products else None)


def _query(**params: str | None) -> dict[str, str]:
    return {k: v for k, v in params.items() if v}


@bp.get("/labels/changes")
def changes() -> str:
    data = _rules()
    region, product = _filters(data)
    events = [describe_event(data, e) for e in filter_events(all_events(), region, product)]
    lang = g.get("lang_code") or "en"
    return render_template(
        "labels/changes.html",
        events=events,
        regions=[(r.id, names(r.names)) for r in data.regions.values()],
        products=sorted(((p.id, names(p.names)) for p in data.products.values()), key=lambda p: p[1]),
        region=region,
        product=product,
        today_text=date_text(today()),
        feed_url=url_for("labels.changes_feed", **_query(region=region, product=product, lang=lang)),
    )


# -- the Atom feed ------------------------------------------------------------------------------------------------
def _stamp(day: dt.date) -> str:
    """RFC 3339 date-time (Atom's dates) for the start of ``day`` in UTC."""
    return f"{day.isoformat()}T00:00:00Z"


def _feed_id(region: str | None, product: str | None, lang: str) -> str:
    name = f"{FEED_ID_NAMESPACE}?region={region or ''}&product={product or ''}&lang={lang}"
    return f"urn:uuid:{uuid.uuid5(ID_NAMESPACE, name)}"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def _feed_title(data: Rules, region: str | None, product: str | None) -> str:
    parts = [names(data.products[product].names)] if product else []
    if region:
        parts.append(names(data.regions[region].names))
    if not parts:
        return gettext("Label changes: every region and product")
    # Translators: the feed's title when it is filtered, e.g. "Label changes: Teclistamab, United States".
    return gettext("Label changes: %(filter)s", filter=gettext(", ").join(parts))


def _entry_text(view: EventView) -> str:
    lines = [view.date_text, *view.changes]
    lines.append(gettext("Source: %(source)s", source=str(view.citation)))
    lines += view.citation.urls
    return "\n".join(lines)


def build_feed(data: Rules, events: list[Event], region: str | None, product: str | None, lang: str) -> bytes:
    """The Atom document for these events, in the active language (``lang`` is its public code)."""
    feed = ET.Element(f"{{{ATOM_NS}}}feed", {f"{{{XML_NS}}}lang": lang})
    _sub(feed, "id", _feed_id(region, product, lang))
    _sub(feed, "title", _feed_title(data, region, product))
    _sub(
        feed,
        "subtitle",
        gettext(
            "Approvals, new versions, withdrawals and corrections of the myeloma therapy labels this service uses."
        ),
    )
    updated = max((e.day for e in events), default=data.last_reviewed)
    _sub(feed, "updated", _stamp(updated))
    author = _sub(feed, "author")
    _sub(author, "name", gettext("Myeloma Access Assistant"))
    query = _query(region=region, product=product, lang=lang)
    _sub(
        feed,
        "link",
        rel="self",
        type="application/atom+xml",
        href=public_url(url_for("labels.changes_feed", **query)),
    )
    _sub(feed, "link", rel="alternate", type="text/html", href=public_url(url_for("labels.changes", **query)))
    _sub(feed, "generator", gettext("Myeloma Access Assistant"))
    for event in events:
        view = describe_event(data, event)
        entry = _sub(feed, "entry")
        _sub(entry, "id", event.id)
        _sub(entry, "title", view.title)
        _sub(entry, "updated", _stamp(event.day))
        _sub(
            entry,
            "link",
            rel="alternate",
            type="text/html",
            hreflang=lang,
            href=public_url(url_for("labels.label", label_id=event.label.id, lang=lang)),
        )
        _sub(entry, "category", term=event.kind, label=view.kind_text)
        _sub(entry, "category", term=f"region:{event.label.region}", label=view.region_name)
        _sub(entry, "category", term=f"product:{event.label.product}", label=view.product_name)
        _sub(entry, "summary", _entry_text(view), type="text")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(
        feed, encoding="utf-8", xml_declaration=False
    )


@bp.get("/labels/changes.atom")
def changes_feed() -> Response:
    data = _rules()
    region, product = _filters(data)
    # Only ?lang decides the language: not the cookie, not Accept-Language (the same URL, the same feed).
    lang = normalize_lang(request.args.get("lang")) or "en"
    g.lang_code = lang
    g.lang_cookie_off = True  # webapp.i18n.remember_choice: a feed reader's request sets no cookie
    events = filter_events(all_events(), region, product)
    with use_locale(LANGUAGES[lang]):
        body = build_feed(data, events, region, product, lang)
    response = Response(body, mimetype="application/atom+xml")
    response.headers["Content-Language"] = lang
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    # The newest event, or the day the rules were last reviewed when that is later (a deploy of new data).
    updated = max([e.day for e in events] + [data.last_reviewed])
    response.last_modified = dt.datetime.combine(updated, dt.time(), tzinfo=dt.UTC)
    response.cache_control.public = True
    response.cache_control.max_age = FEED_MAX_AGE
    return response.make_conditional(request)
