"""``report.md`` as one self-contained ``report.html``: figures embedded as ``data:`` URIs, the
style inline, nothing fetched from elsewhere, so it renders wherever the file alone is opened
(MLflow's artifact viewer shows an ``.html`` artifact in a sandboxed iframe, without its folder)."""

from __future__ import annotations

import base64
import html
import mimetypes
from pathlib import Path

from markdown_it import MarkdownIt

_STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; max-width: 64rem; margin: 1.5rem auto; padding: 0 1rem; color: #1f2328; }
table { border-collapse: collapse; margin: .8rem 0; }
th, td { border: 1px solid #d0d7de; padding: .25rem .6rem; text-align: left; }
th { background: #f6f8fa; }
img { max-width: 100%; }
code, pre { background: #f6f8fa; font-size: 13px; }
pre { padding: .6rem; overflow-x: auto; }
"""


def to_html(markdown: str, folder: Path, title: str) -> str:
    """The report's Markdown as a whole HTML page; images found in ``folder`` are inlined, other
    image references (none in a report) are left as written."""
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    default_image = md.renderer.rules.get("image")

    def image(self, tokens, idx, options, env):   # bound to the renderer by add_render_rule
        token = tokens[idx]
        token.attrSet("src", _data_uri(folder, token.attrGet("src") or ""))
        return default_image(tokens, idx, options, env)

    md.add_render_rule("image", image)
    body = md.render(markdown)
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>\n<body>\n{body}</body></html>\n")


def _data_uri(folder: Path, src: str) -> str:
    path = (folder / src).resolve()
    if "://" in src or src.startswith("data:") or path.parent != folder.resolve() or not path.is_file():
        return src
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def write_html(report_md: Path) -> Path:
    """Write ``report.html`` beside ``report.md``; returns its path."""
    out = report_md.with_name("report.html")
    text = to_html(report_md.read_text(encoding="utf-8"), report_md.parent, report_md.parent.name)
    out.write_text(text, encoding="utf-8")
    return out
