"""No stale status: module lists, links, times and "next" lines come from the pages' own headers;
no fixed port is suggested; the clone command works as the built site shows it."""
from __future__ import annotations

import html
import re
import subprocess
from pathlib import Path

import pytest
import yaml

import mkdocs_hooks
import pages

ROOT = pages.ROOT
CONFIG = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)
MODULES = [p for p in mkdocs_hooks.nav_pages(CONFIG) if mkdocs_hooks.is_module(p)]
TABLE_PAGES = {"index.md": "start", "overview.md": "overview", "before-you-begin.md": "needs"}


@pytest.mark.parametrize("lang", pages.LANGS)
@pytest.mark.parametrize("page", MODULES)
def test_module_headers_have_what_the_tables_show(lang, page):
    info = mkdocs_hooks.page_info(lang, page)
    missing = [k for k in ("description", "time", "prerequisites") if not info[k]]
    assert not missing, f"docs/{lang}/{page}: the header lacks {missing}"


@pytest.mark.parametrize("lang", pages.LANGS)
@pytest.mark.parametrize("page, kind", TABLE_PAGES.items())
def test_module_lists_are_made_from_the_headers(lang, page, kind):
    """The home page, the overview and "Before you begin" list modules only through the marker,
    never by hand (a hand-made table went stale: Module 2 said 50 min on its page, 45 elsewhere)."""
    text = pages.read(lang, page)
    assert f"<!-- module-table: {kind} -->" in text
    hand_made = [l for l in pages.outside_fences(text)
                 if l.startswith("|") and re.search(r"module\d+\.md", l)]
    assert not hand_made, f"docs/{lang}/{page}: a module table typed by hand: {hand_made}"


@pytest.mark.parametrize("lang", pages.LANGS)
def test_rendered_tables_match_the_module_pages(built_site, lang):
    """Each rendered table links every module with the time its own page states."""
    prefix = "" if lang == "en" else "zh/"
    for page, kind in TABLE_PAGES.items():
        rel = "" if page == "index.md" else page.removesuffix(".md") + "/"
        body = html.unescape(re.sub(r"<[^>]+>", " ", (built_site / prefix / rel / "index.html")
                                    .read_text(encoding="utf-8")))
        for module in MODULES if kind != "start" else MODULES[:1]:
            info = mkdocs_hooks.page_info(lang, module)
            assert info["title"] in body and info["time"] in body, \
                f"{prefix}{rel}: {module} missing or with another time"


def test_planned_modules_have_no_page_yet():
    """An "in preparation" entry whose page exists is stale: remove it from mkdocs.yml."""
    stale = [m["page"] for m in CONFIG["extra"]["planned_modules"] if (pages.DOCS / "en" / m["page"]).exists()]
    assert not stale, f"planned_modules lists pages that exist: {stale}"


@pytest.mark.parametrize("lang", pages.LANGS)
@pytest.mark.parametrize("page", MODULES + ["before-you-begin.md"])
def test_each_module_ends_with_a_link_to_the_next_page(built_site, lang, page):
    text = pages.read(lang, page)
    assert text.rstrip().endswith("<!-- next-page -->"), f"docs/{lang}/{page} must end with <!-- next-page -->"
    order = mkdocs_hooks.nav_pages(CONFIG)
    following = order[order.index(page) + 1].removesuffix(".md")
    rel = page.removesuffix(".md")
    built = (built_site / ("zh" if lang == "zh" else "") / rel / "index.html").read_text(encoding="utf-8")
    label = mkdocs_hooks.TEXT[lang]["next"]
    assert re.search(rf"<strong>{label}</strong>\s*<a href=\"\.\./{following}/\"", built), \
        f"{lang}/{rel}: no '{label}' link to {following}"


def test_header_parsing_can_fail():
    """A header without a time gives no time: the checks above would fail on such a page."""
    assert mkdocs_hooks.header_field("**Time:** 60 minutes · **Prerequisites:** x", "Time") == "60 minutes"
    assert mkdocs_hooks.header_field("**时间：** 60 分钟 · **前提条件：** 无", "前提条件") == "无"
    assert mkdocs_hooks.header_field("# Module 9\n\nNo header here.\n", "Time") is None


# ------------------------------------------------------------------ ports

FIXED_PORT = re.compile(r"\b(?:VLLM_PORT|WORKSHOP_SITE_PORT|API_KEY_DEMO_PORT)=\d+|--port[ =]\d+")
DEFAULT = re.compile(r"\b(\w+_PORT):-(\d+)")
#: The workshop's own defaults: the server on 8000, the site on 8001. Nothing else is fixed.
#: The workshop's own ports; SERVICE_PORT 8000 is the systemd service's (labs/container/service.sh):
#: a service needs a fixed address, and it takes the workshop server's.
DEFAULTS = {("VLLM_PORT", "8000"), ("WORKSHOP_SITE_PORT", "8001"), ("SERVICE_PORT", "8000")}


def fixed_ports(text: str) -> list[str]:
    """Suggestions of a fixed port in ``text`` (a port that may be taken: never suggest one), and
    defaults other than the workshop's own two."""
    found = FIXED_PORT.findall(text)
    found += [f"{name}:-{port}" for name, port in DEFAULT.findall(text) if (name, port) not in DEFAULTS]
    return found


def test_no_fixed_port_is_suggested():
    """Scripts, labs, pages and the README suggest free ports (``scripts/server.py free-port``),
    never a fixed one: the server's own profile once suggested the site's port 8001."""
    files = [ROOT / "README.md", *(ROOT / "labs").rglob("*.sh"), *(ROOT / "labs").rglob("*.py"),
             *(ROOT / "scripts").glob("*"), *(ROOT / "docs").rglob("*.md")]
    found = [f"{f.relative_to(ROOT)}: {m}" for f in files if f.is_file()
             for m in fixed_ports(f.read_text(encoding="utf-8", errors="replace"))]
    assert not found, "\n".join(found)


def test_fixed_port_check_can_fail():
    assert fixed_ports("or use another port: VLLM_PORT=8001 ./scripts/start")
    assert fixed_ports("bash labs/serve/serve_cpu.sh --port 8001")
    assert fixed_ports('PORT="${API_KEY_DEMO_PORT:-8011}"')
    assert not fixed_ports('--port "${VLLM_PORT:-8000}"')
    assert not fixed_ports("VLLM_PORT=$(python3 scripts/server.py free-port)")


# ------------------------------------------------------------------ the clone command


def test_clone_command_works_as_the_site_shows_it(tmp_path: Path):
    """The page's clone command, as the hook renders it for a repository URL, clones the workshop
    into ``vllm-workshop`` (a bare copy of this repository stands for the published one)."""
    bare = tmp_path / "published.git"
    subprocess.run(["git", "clone", "--quiet", "--bare", str(ROOT), str(bare)], check=True)
    source = pages.read("en", "before-you-begin.md")
    assert "@REPO_URL@" in source

    class Page:  # what on_page_markdown reads of a MkDocs page
        class file:  # noqa: N801
            src_uri = "en/before-you-begin.md"

    config = {**CONFIG, "repo_url": bare.as_uri()}
    rendered = mkdocs_hooks.on_page_markdown(source, Page, config, None)
    command = next(f.body for f in pages.fences(rendered) if "git clone" in f.body)
    assert "@REPO_URL@" not in command and "<" not in command, command
    work = tmp_path / "home"
    work.mkdir()
    p = subprocess.run(["bash", "-ec", command], cwd=work, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert (work / "vllm-workshop" / "README.md").is_file()


def test_clone_url_without_configuration_is_this_clone():
    """With no repo_url, the built site shows a URL that works where it was built."""
    url = mkdocs_hooks.clone_url({"repo_url": None})
    assert url and "<" not in url
