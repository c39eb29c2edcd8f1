"""HTML rendering of the portal pages from the templates in public_portal/static/*.html.

Pages are rendered server-side as far as the builder knows facts (the list of
draws with plain `<a href>` links, each draw's title, status and local-beacon
banner), so they read without JavaScript; the verdict is always computed in
the browser by the page scripts. Texts are Chinese by default; every
translatable element carries `data-i18n="<key>"` and assets/i18n.js swaps
in English (docs/spec/portal.md §i18n).

Templates use `{{NAME}}` placeholders; every value is HTML-escaped here.
Left out: a template language (there are a dozen placeholders).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

STATIC = Path(__file__).parent / "static"

STATUS_ZH = {"announced": "已公告", "drawn": "已抽取", "cancelled": "已取消",
             "superseded": "已被替代"}
KIND_ZH = {"routine": "日常抽查", "special": "专项抽查", "return_visit": "回访抽查"}

HEADER = """<header class="top">
<a class="brand" href="{root}index.html" data-i18n="nav.brand">双随机抽查公示</a>
<nav><a href="{root}index.html" data-i18n="nav.draws">抽取列表</a>
<a href="{root}log.html" data-i18n="nav.log">透明日志</a>
<a href="{root}offline.html" data-i18n="nav.offline">离线验证</a>
<a href="{root}registry.html" data-i18n="nav.registry">名录库变动</a>
<a href="{root}stats.html" data-i18n="nav.stats">公平性统计</a></nav>
<button type="button" id="lang-toggle" class="lang">English</button>
</header>"""
FOOTER = """<footer><span data-i18n="footer.text">本页面的所有检查都在您的浏览器中完成；\
唯一需要信任的是 trust.json 中的公钥。</span> <a href="{root}trust.json">trust.json</a></footer>"""


def _template(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def _fill(template: str, values: Mapping[str, str]) -> str:
    out = template
    for key, value in values.items():
        out = out.replace("{{" + key + "}}", value)
    if "{{" in out:
        start = out.index("{{")
        raise ValueError(f"unfilled placeholder {out[start:start + 30]!r}")
    return out


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _chrome(root: str) -> dict[str, str]:
    return {"ROOT": root, "HEADER": HEADER.format(root=root), "FOOTER": FOOTER.format(root=root)}


def render_index(draws: Sequence[Mapping[str, Any]], log_size: int) -> str:
    """index.html: one row per draw, each a plain link to draw/<id>.html."""
    rows = []
    for d in draws:
        status = str(d["status"])
        kind = str(d.get("kind"))
        local = (' <span class="badge local" data-i18n="local.short">本地信标</span>'
                 if d.get("local") else "")
        rows.append(
            f'<tr data-draw-id="{_e(d["draw_id"])}" data-status="{_e(status)}">'
            f'<td><a href="draw/{_e(d["draw_id"])}.html" class="mono">{_e(d["draw_id"])}</a></td>'
            f'<td>{_e(d.get("title"))}{local}</td>'
            f'<td data-i18n="kind.{_e(kind)}">{_e(KIND_ZH.get(kind, kind))}</td>'
            f'<td><span class="status status-{_e(status)}" data-i18n="status.{_e(status)}">'
            f'{_e(STATUS_ZH.get(status, status))}</span></td>'
            f'<td class="mono">{_e(d.get("round"))}</td>'
            f'<td class="mono">{_e(d.get("round_time"))}</td>'
            "</tr>"
        )
    empty = "" if draws else '<p class="meta" data-i18n="index.empty">还没有抽取。</p>'
    return _fill(_template("index.html"), {**_chrome(""), "ROWS": "\n".join(rows),
                                            "EMPTY": empty, "LOG_SIZE": str(log_size)})


def render_draw_page(summary: Mapping[str, Any]) -> str:
    """draw/<id>.html: facts from the index; the verdict is filled in by assets/app-draw.js."""
    status = str(summary["status"])
    view = _fill(_template("view.html"), {})
    return _fill(_template("draw.html"), {
        **_chrome("../"), "DRAW_ID": _e(summary["draw_id"]), "TITLE": _e(summary.get("title")),
        "STATUS": _e(status), "STATUS_ZH": _e(STATUS_ZH.get(status, status)),
        "AUTHORITY": _e(summary.get("authority")), "ROUND": _e(summary.get("round")),
        "ROUND_TIME": _e(summary.get("round_time")),
        "LOCAL_HIDDEN": "" if summary.get("local") else " hidden", "VIEW": view,
    })


def render_static_page(page: str) -> str:
    """log.html, offline.html, registry.html or stats.html."""
    if page not in ("log", "offline", "registry", "stats"):
        raise ValueError(f"no page {page!r}")
    view = _fill(_template("view.html"), {})
    return _fill(_template(f"{page}.html"), {**_chrome(""), "VIEW": view})
