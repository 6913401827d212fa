"""The page a card's "why" link opens in a browser: the explanation as plain, escaped HTML.

An EHR opens a card's link in a browser or an iframe, where JSON is unreadable. The page
says what the card says (banner, plan, the item and its statements), then why: the
proof in a sentence and as a tree, the evidence with its grades, and the record the
advice was reasoned from. It is built from the same explanation the JSON form serves, so
the two cannot disagree. Every text is escaped and the page has no script, no style
sheet from elsewhere and no form: it shows, it does not act.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:52rem;margin:1.5rem auto;padding:0 1rem;line-height:1.45}"
    ".banner{background:#b00020;color:#fff;padding:.6rem 1rem;font-weight:600}"
    ".banner p{margin:.2rem 0}pre{white-space:pre-wrap;background:#f4f4f4;padding:.6rem}"
    "dt{font-weight:600}small{color:#555}"
)


def explanation_page(explanation: Mapping[str, Any], title: str) -> str:
    """The HTML page of one kept card explanation (as :meth:`Hooks.explain` returns it)."""
    item = explanation.get("item")
    summary = explanation.get("summary")
    heading = item.get("label", title) if isinstance(item, dict) else title
    parts = [f"<h1>{escape(str(heading))}</h1>"]
    banner = summary.get("banner", []) if isinstance(summary, dict) else []
    if banner:
        parts.append('<div class="banner">' + "".join(f"<p>{escape(str(line))}</p>" for line in banner) + "</div>")
    if isinstance(summary, dict):
        parts.append("<h2>Plan</h2>" + _plan(summary))
    if isinstance(item, dict):
        parts.append(_item(item, explanation))
    for each in explanation.get("items", []) if isinstance(explanation.get("items"), list) else []:
        if isinstance(each, dict):
            parts.append(_item(each, each.get("explanation") or {}, level=3))
    if "reading" in explanation or "notice" in explanation:
        parts.append(f"<pre>{escape(_json_text(explanation.get('reading') or explanation.get('detail')))}</pre>")
    record = explanation.get("record")
    if isinstance(record, dict):
        parts.append("<h2>The record this advice was reasoned from</h2>" + _record(record))
    subject = escape(str(explanation.get("subject", "")))
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}: {subject}</title><style>{STYLE}</style></head><body>"
        + "".join(parts)
        + "<p><small>Decision support, not a prescriber: every answer is for a clinician to weigh. "
        "This page is also served as JSON to a request that accepts application/json.</small></p>"
        "</body></html>"
    )


def _plan(summary: Mapping[str, Any]) -> str:
    bullets = []
    for line in summary.get("lines", []):
        cautions = "".join(f"<li>{escape(str(caution))}</li>" for caution in line.get("cautions", []))
        bullets.append(
            f"<li>{escape(str(line.get('text', '')))}" + (f"<ul>{cautions}</ul>" if cautions else "") + "</li>"
        )
    if summary.get("footer"):
        bullets.append(f"<li>{escape(str(summary['footer']))}</li>")
    return "<ul>" + "".join(bullets) + "</ul>"


def _item(item: Mapping[str, Any], explanation: Mapping[str, Any], level: int = 2) -> str:
    parts = [
        f"<h{level}>{escape(str(item.get('kind', '')).capitalize())}: {escape(str(item.get('label', '')))}</h{level}>"
    ]
    statements = item.get("statements") or []
    if statements:
        parts.append("<ul>" + "".join(f"<li>{escape(str(text))}</li>" for text in statements) + "</ul>")
    parameters = item.get("parameters") or {}
    if parameters:
        parts.append(
            "<dl>"
            + "".join(
                f"<dt>{escape(str(name).replace('_', ' '))}</dt><dd>{escape(_value(value))}</dd>"
                for name, value in parameters.items()
            )
            + "</dl>"
        )
    if explanation.get("sentence"):
        parts.append(f"<p><strong>Why:</strong> {escape(str(explanation['sentence']))}</p>")
    changes = explanation.get("changes")
    if isinstance(changes, dict) and changes.get("text"):
        parts.append(
            f"<p><strong>What would change it, and when</strong> <small>({escape(str(changes.get('fact', '')))}; "
            "each change checked by answering it first)</small></p><ul>"
            + "".join(f"<li>{escape(str(line))}</li>" for line in changes["text"])
            + "</ul>"
        )
    if explanation.get("text"):
        parts.append(
            f"<details><summary>The whole proof</summary><pre>{escape(str(explanation['text']))}</pre></details>"
        )
    parts.append(_evidence("Evidence", item.get("evidence") or []))
    parts.append(_evidence("Conflicting evidence", item.get("conflicting_evidence") or []))
    return "".join(parts)


def _evidence(title: str, references: Iterable[Mapping[str, Any]]) -> str:
    lines = [
        f"<li>{escape(str(ref.get('id', '')))}: {escape(str(ref.get('source', '')))} "
        f"<small>(quality: {escape(str(ref.get('grade', '')))}; {escape(str(ref.get('origin', '')))})</small></li>"
        for ref in references
    ]
    return f"<p>{escape(title)}:</p><ul>{''.join(lines)}</ul>" if lines else ""


def _record(record: Mapping[str, Any]) -> str:
    rows = "".join(f"<dt>{escape(str(name))}</dt><dd>{escape(_value(value))}</dd>" for name, value in record.items())
    return f"<dl>{rows}</dl>"


def _value(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_value(part) for part in value)
    if isinstance(value, dict):
        return ", ".join(f"{key}: {_value(part)}" for key, part in value.items())
    return str(value)


def _json_text(value: Any) -> str:
    import json

    return value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False)


def wants_json(accept: str | None) -> bool:
    """Whether an Accept header prefers JSON to HTML: JSON only when asked for by name, ahead of HTML.

    A browser asks for ``text/html`` first; a program that names ``application/json``
    (and not HTML before it) gets JSON; no header, or ``*/*``, gets the page.
    """
    if not accept:
        return False
    ranked = []
    for position, part in enumerate(accept.split(",")):
        media, *parameters = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for parameter in parameters:
            if parameter.startswith("q="):
                try:
                    quality = float(parameter[2:])
                except ValueError:
                    quality = 0.0
        ranked.append((-quality, position, media.lower()))
    for _, _, media in sorted(ranked):
        if media in ("application/json", "application/*"):
            return True
        if media in ("text/html", "application/xhtml+xml", "text/*", "*/*"):
            return False
    return False
