"""MkDocs hook: replace ``<!-- verified-with -->`` on a page with the "verified with" box.

The box is built from ``.workshop/verified.json``, which the test suite writes at the end of
every run (``tests/plugin_server.py``: vLLM version from the server's ``/version``, model from
``/v1/models``, the installed ``openai`` version, the date, and the example counts per
language). Nothing in it is typed by hand. Before any run the box says how to produce it.
"""
from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / ".workshop" / "verified.json"
MARKER = "<!-- verified-with -->"

TEXT = {
    "en": {
        "title": "Verified with",
        "none": "This copy of the site has not been verified yet: run `./scripts/test` and rebuild.",
        "row": "vLLM **{vllm}** · model **{model}** · openai **{openai}** · {date} · "
               "{passed} examples passed, {skipped} skipped, {failed} failed",
    },
    "zh": {
        "title": "验证环境",
        "none": "此站点副本尚未验证：运行 `./scripts/test` 后重新构建。",
        "row": "vLLM **{vllm}** · 模型 **{model}** · openai **{openai}** · {date} · "
               "{passed} 个示例通过，{skipped} 个跳过，{failed} 个失败",
    },
}


def render(lang: str, record: dict | None) -> str:
    """Markdown for the box in ``lang`` ("en" or "zh") from a record (or ``None``)."""
    t = TEXT[lang]
    if not record:
        return f'!!! info "{t["title"]}"\n\n    {t["none"]}\n'
    counts = record.get("examples", {}).get(lang, {})
    row = t["row"].format(vllm=record.get("vllm", "?"), model=record.get("model", "?"),
                          openai=record.get("openai", "?"), date=record.get("date", "?"),
                          passed=counts.get("passed", 0), skipped=counts.get("skipped", 0),
                          failed=counts.get("failed", 0))
    return f'!!! success "{t["title"]}"\n\n    {row}\n'


def on_page_markdown(markdown: str, page, config, files) -> str:  # noqa: ARG001 - MkDocs API
    """MkDocs event: swap the marker for the box in the page's language."""
    if MARKER not in markdown:
        return markdown
    lang = "zh" if page.file.src_uri.startswith("zh/") else "en"
    try:
        record = json.loads(RECORD.read_text())
    except (OSError, ValueError):
        record = None
    return markdown.replace(MARKER, render(lang, record))
