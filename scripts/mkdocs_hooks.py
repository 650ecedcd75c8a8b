"""MkDocs hooks: what the pages show that must come from one source, not from typing.

Markers a page may contain (the same in both languages; ``tests/docs/test_status.py`` checks them):

``<!-- verified-with -->``
    the "verified with" box, built from ``.workshop/verified.json``, which the test suite writes
    at the end of a complete, green run (``tests/plugins/report.py``: vLLM version from the
    server's ``/version``, model from ``/v1/models``, the installed ``openai`` version, the date,
    and the example counts per language). Before any run the box says how to produce it.
``<!-- module-table: start | overview | needs -->``
    a table of the workshop's pages made from each page's own header: its title (``# ...``), its
    ``description`` (front matter), its ``**Time:**`` (``**时间：**``) and, for modules, its
    ``**Prerequisites:**`` (``**前提条件：**``). Modules listed under ``extra.planned_modules``
    in mkdocs.yml, which have no page yet, appear as "in preparation" rows. So the module list,
    links and times on the home page, the overview and "Before you begin" cannot disagree.
``<!-- next-page -->``
    "Next: <the following page in the navigation>", with its link.
``@REPO_URL@``
    the URL to clone the workshop from: ``repo_url`` (mkdocs.yml, set from ``$WORKSHOP_REPO_URL``
    by the publishing workflow), else this clone's ``origin`` remote, else this clone's own path,
    so that the command on the page works as pasted wherever the site was built.

And on the Chinese pages the heading permalinks say 永久链接, not the Markdown ``toc``
extension's fixed "Permanent link" (its ``permalink_title`` is one setting for all languages).
A Chinese page whose English twin changed after it was translated (its ``translated_from`` front
matter, ``scripts/translation.py``) shows a note under its title: 译文可能已过时 (the translation
may be out of date).
"""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import translation  # scripts/ (MkDocs puts a hook's folder on sys.path while loading it)

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
RECORD = ROOT / ".workshop" / "verified.json"
MARKER = "<!-- verified-with -->"
TABLE = re.compile(r"<!--\s*module-table:\s*(start|overview|needs)\s*-->")
NEXT = "<!-- next-page -->"
REPO = "@REPO_URL@"

TEXT = {
    "en": {
        "title": "Verified with",
        "none": "This copy of the site has not been verified yet: run `./scripts/test` and rebuild.",
        "row": "vLLM **{vllm}** · model **{model}** · openai **{openai}** · {date} · "
               "{passed} examples passed, {skipped} skipped, {failed} failed",
        "start": ("Step", "Page", "Time"), "overview": ("Module", "You will", "Time"),
        "needs": ("Module", "Time", "Needs"), "planned": "in preparation", "next": "Next:",
        "time": "Time", "prerequisites": "Prerequisites", "permalink": "Permanent link",
    },
    "zh": {
        "title": "验证环境",
        "none": "此站点副本尚未验证：运行 `./scripts/test` 后重新构建。",
        "row": "vLLM **{vllm}** · 模型 **{model}** · openai **{openai}** · {date} · "
               "{passed} 个示例通过，{skipped} 个跳过，{failed} 个失败",
        "start": ("步骤", "页面", "时间"), "overview": ("模块", "内容", "时间"),
        "needs": ("模块", "时间", "需要"), "planned": "编写中", "next": "下一步：",
        "time": "时间", "prerequisites": "前提条件", "permalink": "永久链接",
        "stale_title": "译文可能已过时",
        "stale": "英文原文在这篇译文完成之后又有改动，本页内容可能与英文版不一致；如有出入，以英文版为准。",
    },
}


def stale_note(markdown: str, lang: str, page: str, meta: dict) -> str:
    """``markdown`` with the "translation may be out of date" note under its title when the
    translation records another version of the English page than the current one."""
    if lang == "en" or not (DOCS / "en" / page).is_file():
        return markdown
    if str(meta.get(translation.KEY, "")) == translation.english_hash(page, DOCS):
        return markdown
    t = TEXT[lang]
    note = f'!!! warning "{t["stale_title"]}"\n\n    {t["stale"]}\n'
    title = re.search(r"^# .*\n", markdown, re.MULTILINE)
    at = title.end() if title else 0
    return f"{markdown[:at]}\n{note}\n{markdown[at:]}"


def render(lang: str, record: dict | None) -> str:
    """Markdown for the "verified with" box in ``lang`` ("en" or "zh") from a record (or ``None``)."""
    t = TEXT[lang]
    if not record:
        return f'!!! info "{t["title"]}"\n\n    {t["none"]}\n'
    counts = record.get("examples", {}).get(lang, {})
    row = t["row"].format(vllm=record.get("vllm", "?"), model=record.get("model", "?"),
                          openai=record.get("openai", "?"), date=record.get("date", "?"),
                          passed=counts.get("passed", 0), skipped=counts.get("skipped", 0),
                          failed=counts.get("failed", 0))
    return f'!!! success "{t["title"]}"\n\n    {row}\n'


# ------------------------------------------------------------------ pages' own headers


def front_matter(text: str) -> dict[str, str]:
    """The ``key: value`` lines of a page's YAML front matter (flat strings only)."""
    m = re.match(r"---\n(.*?)\n---\n", text, re.DOTALL)
    if not m:
        return {}
    return {k.strip(): v.strip().strip('"') for k, v in
            (line.split(":", 1) for line in m[1].splitlines() if ":" in line)}


def header_field(text: str, label: str) -> str | None:
    """The text after ``**<label>:**`` (or ``：``) in the page's header, up to ``·`` or a blank line."""
    m = re.search(rf"\*\*{re.escape(label)}[:：]\*\*\s*(.+?)(?=\s·\s|\n\n|$)", text, re.DOTALL)
    return " ".join(m[1].split()) if m else None


def page_info(lang: str, page: str) -> dict[str, str | None]:
    """``title``, ``description``, ``time`` and ``prerequisites`` of ``docs/<lang>/<page>``."""
    text = (DOCS / lang / page).read_text(encoding="utf-8")
    t = TEXT[lang]
    title = re.search(r"^# (.+)$", text, re.MULTILINE)
    return {"page": page, "title": title[1].strip() if title else page,
            "description": front_matter(text).get("description"),
            "time": header_field(text, t["time"]),
            "prerequisites": header_field(text, t["prerequisites"])}


def nav_pages(config) -> list[str]:
    """The Markdown pages of the navigation, in order (``index.md``, ``overview.md``, ...)."""
    found: list[str] = []

    def walk(items):
        for item in items or []:
            value = next(iter(item.values())) if isinstance(item, dict) else item
            if isinstance(value, list):
                walk(value)
            elif isinstance(value, str) and value.endswith(".md"):
                found.append(value)

    walk(config["nav"])
    return found


def is_module(page: str) -> bool:
    """True for the module pages (``module1.md``, ``module2.md``, ...)."""
    return re.fullmatch(r"module\d+\.md", page) is not None


def planned(config, lang: str) -> list[dict[str, str]]:
    """Modules announced in ``extra.planned_modules`` that have no page yet, in ``lang``."""
    rows = []
    for item in (config.get("extra") or {}).get("planned_modules") or []:
        if not (DOCS / lang / item["page"]).exists():
            rows.append({"title": item["title"][lang], "description": item["description"][lang]})
    return rows


def module_table(kind: str, lang: str, config) -> str:
    """The Markdown table for ``<!-- module-table: kind -->`` (see the module docstring)."""
    t = TEXT[lang]
    pages = [page_info(lang, p) for p in nav_pages(config)]
    lines = ["| " + " | ".join(t[kind]) + " |", "|---|---|---|"]
    if kind == "start":
        steps = [p for p in pages if p["time"]]
        for n, p in enumerate(steps, 1):
            lines.append(f"| {n} | [{p['title']}]({p['page']}): {p['description']} | {p['time']} |")
        return "\n".join(lines) + "\n"
    for p in pages:
        if not is_module(p["page"]):
            continue
        link = f"[{p['title']}]({p['page']})"
        lines.append(f"| {link} | {p['description']} | {p['time']} |" if kind == "overview"
                     else f"| {link} | {p['time']} | {p['prerequisites']} |")
    for p in planned(config, lang):
        lines.append(f"| {p['title']} | {p['description']} | {t['planned']} |" if kind == "overview"
                     else f"| {p['title']} | {t['planned']} | — |")
    return "\n".join(lines) + "\n"


def next_line(page: str, lang: str, config) -> str:
    """``**Next:** [title](page)`` for the page after ``page`` in the navigation ('' for the last)."""
    order = nav_pages(config)
    if page not in order or order.index(page) == len(order) - 1:
        return ""
    following = page_info(lang, order[order.index(page) + 1])
    return f"**{TEXT[lang]['next']}** [{following['title']}]({following['page']})\n"


def clone_url(config) -> str:
    """Where to clone the workshop from (see the module docstring)."""
    if config.get("repo_url"):
        return config["repo_url"]
    try:
        origin = subprocess.run(["git", "remote", "get-url", "origin"], cwd=ROOT,
                                capture_output=True, text=True, timeout=10).stdout.strip()
    except OSError:
        origin = ""
    return origin or str(ROOT)


# ------------------------------------------------------------------ MkDocs events


def page_lang(page) -> tuple[str, str]:
    """``(language, path inside the language folder)`` of a MkDocs page."""
    uri = page.file.src_uri
    return ("zh", uri.removeprefix("zh/")) if uri.startswith("zh/") else ("en", uri.removeprefix("en/"))


def on_page_markdown(markdown: str, page, config, files) -> str:  # noqa: ARG001 - MkDocs API
    """MkDocs event: replace the markers (see the module docstring)."""
    lang, rel = page_lang(page)
    if MARKER in markdown:
        try:
            record = json.loads(RECORD.read_text())
        except (OSError, ValueError):
            record = None
        markdown = markdown.replace(MARKER, render(lang, record))
    markdown = TABLE.sub(lambda m: module_table(m[1], lang, config), markdown)
    if NEXT in markdown:
        markdown = markdown.replace(NEXT, next_line(rel, lang, config))
    if REPO in markdown:
        markdown = markdown.replace(REPO, clone_url(config))
    return stale_note(markdown, lang, rel, getattr(page, "meta", None) or {})


def on_page_content(html: str, page, config, files) -> str:  # noqa: ARG001 - MkDocs API
    """MkDocs event: the permalink title in the page's language."""
    lang, _ = page_lang(page)
    if lang != "en":
        html = html.replace(f'title="{TEXT["en"]["permalink"]}"', f'title="{TEXT[lang]["permalink"]}"')
    return html
