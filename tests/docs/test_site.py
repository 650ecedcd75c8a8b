"""The built site in headless Chromium: pages load cleanly and offline, the language switcher,
search in both languages, copy buttons and content tabs work; each check also fails on a page
broken on purpose. The checks themselves live in ``tests/site_checks.py``."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

import site_checks

from support import ROOT
#: The canonical address the site is built for: mkdocs.yml's site_url, which reads
#: $WORKSHOP_SITE_URL (set by the publishing workflow) with the local address as its default.
SITE_URL = site_checks.configured_site_url()
PREFIX = urlparse(SITE_URL).path.strip("/")


@pytest.fixture(scope="module")
def site(built_site) -> Path:
    """The session's one strict build (tests/conftest.py)."""
    return built_site


@pytest.fixture(scope="module")
def site_url(site: Path):
    with site_checks.serve(site, PREFIX) as url:
        yield url


@pytest.fixture
def page(browser, site_url):
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    p = context.new_page()
    yield p
    context.close()


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    """A page broken on purpose: a script error, a CDN font, a copy button that copies nothing,
    content tabs without their CSS, and a language link to the wrong page."""
    d = tmp_path_factory.mktemp("broken")
    (d / "index.html").write_text("""<!doctype html><html lang="en"><head>
<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">
</head><body>
<header class="md-header"><div class="md-select"><ul>
<li><a class="md-select__link" hreflang="zh" href="index.html">中文</a></li></ul></div></header>
<div class="highlight"><button class="md-clipboard"></button><pre><code>echo hello</code></pre></div>
<div class="language-console highlight"><pre><code><span class="gp">$ </span>echo hello
<span class="go">hello</span></code></pre><button class="md-clipboard"
 onclick="navigator.clipboard.writeText(this.parentElement.querySelector('code').innerText)"></button></div>
<div class="tabbed-set"><div class="tabbed-labels"><label>A</label><label>B</label></div>
<div class="tabbed-content"><div class="tabbed-block">one</div><div class="tabbed-block">two</div></div></div>
<script>throw new Error("broken on purpose")</script>
</body></html>""")
    with site_checks.serve(d, "broken") as url:
        yield url


# ------------------------------------------------------------------ the real site


def test_every_page_loads_without_errors_or_network(page, site, site_url):
    pairs = site_checks.page_pairs(site)
    assert len(pairs) >= 5, f"expected every page to have a Chinese twin, found {pairs}"
    problems = []
    for rel in pairs:
        for url in (site_url + rel, site_url + "zh/" + rel):
            fresh = page.context.new_page()  # a page per URL: its listeners see only that load
            problems += [f"{url}: {p}" for p in site_checks.load_problems(fresh, url)]
            fresh.close()
    assert not problems, "\n".join(problems)


def test_language_switcher_goes_to_the_twin_and_back(page, site, site_url):
    problems = []
    for rel in site_checks.page_pairs(site):
        problems += site_checks.switcher_problems(page, site_url + rel, site_url + "zh/" + rel)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang, term, expected_page", [
    ("en", "structured outputs", "module2/"),
    ("zh", "结构化输出", "zh/module2/"),
    ("zh", "流式输出", "zh/module1/"),
])
def test_search_finds_terms_in_both_languages(page, site_url, lang, term, expected_page):
    start = site_url + ("zh/" if lang == "zh" else "")
    results = site_checks.search_results(page, start, term)
    assert any(site_url + expected_page in r for r in results), \
        f"searching {term!r} did not find {expected_page}: {results[:5]}"


def test_copy_buttons_copy_the_code(page, site_url):
    problems = site_checks.copy_problems(page, site_url + "module1/")
    problems += site_checks.copy_problems(page, site_url + "zh/module2/")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("rel", ["module1/", "zh/before-you-begin/"])
def test_console_copy_buttons_copy_commands_only(page, site_url, rel):
    """A console block's button copies the commands without ``$`` and output, ready to paste;
    output and log blocks have no copy button (there is nothing to run)."""
    problems = site_checks.console_copy_problems(page, site_url + rel)
    assert not problems, "\n".join(problems)


def test_zh_pages_speak_chinese(site):
    """The Chinese pages' interface strings and block titles are Chinese, and their headings
    have readable anchors (``#检查点``-style, never ``#_1``)."""
    problems = []
    for rel in site_checks.page_pairs(site):
        html = (site / "zh" / rel / "index.html").read_text(encoding="utf-8")
        problems += [f"zh/{rel}: {p}" for p in site_checks.english_ui(html)]
    assert not problems, "\n".join(problems)


def test_content_tabs_switch(page, site_url):
    problems = site_checks.tab_problems(page, site_url + "before-you-begin/")
    problems += site_checks.tab_problems(page, site_url + "zh/before-you-begin/")
    assert not problems, "\n".join(problems)


def test_links_and_anchors(site_url):
    """Every internal link and cross-page anchor works; external links are listed, not fetched,
    in .workshop/external-links.txt for a human to review."""
    broken, external = site_checks.check_links(site_url, SITE_URL)
    assert not broken, "\n".join(broken)
    out = ROOT / ".workshop" / "external-links.txt"
    out.parent.mkdir(exist_ok=True)
    out.write_text("".join(f"{line}\n" for line in external))
    assert any("docs.vllm.ai" in line for line in external), "external links were not listed"


# ------------------------------------------------------------------ each check can fail


def test_link_check_catches_a_missing_page(tmp_path):
    (tmp_path / "index.html").write_text(
        '<a href="missing/">m</a> <a href="other.html">ok</a> <a href="https://example.com/">e</a>')
    (tmp_path / "other.html").write_text("<p>here</p>")
    with site_checks.serve(tmp_path, "b") as url:
        broken, external = site_checks.check_links(url)
    assert len(broken) == 1 and "missing/" in broken[0]
    assert external == [f"https://example.com/ (on {url})"]


def test_strict_build_catches_a_broken_anchor(tmp_path):
    """The site's own validation settings turn a link to a missing anchor into a failed build."""
    cfg = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# Home\n\n[there](other.md#nowhere)\n")
    (tmp_path / "docs" / "other.md").write_text("# Other\n\n## Here\n")
    (tmp_path / "mkdocs.yml").write_text(yaml.safe_dump(
        {"site_name": "t", "validation": cfg["validation"], "markdown_extensions": ["toc"]}))
    # not -q: it hides the very warnings that --strict counts
    p = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict"],
                       cwd=tmp_path, capture_output=True, text=True)
    assert p.returncode != 0 and "nowhere" in p.stderr, p.stderr


def test_load_check_catches_script_errors_and_cdn_requests(page, broken):
    problems = "\n".join(site_checks.load_problems(page, broken))
    assert "broken on purpose" in problems
    assert "fonts.googleapis.com" in problems


def test_switcher_check_catches_a_wrong_link(page, broken):
    assert site_checks.switcher_problems(page, broken, broken.replace("broken/", "broken/zh/"))


def test_search_check_reports_no_results(page, site_url, broken):
    assert site_checks.search_results(page, site_url, "qwxzzv", wait_ms=3000) == []
    assert site_checks.search_results(page, broken, "hello") == [], "a page without search"


def test_copy_check_catches_a_button_that_copies_nothing(page, broken):
    assert site_checks.copy_problems(page, broken)


def test_console_copy_check_catches_a_prompt_in_the_clipboard(page, broken):
    """The broken page's console block copies ``$ echo hello`` with its output."""
    assert site_checks.console_copy_problems(page, broken)


def test_english_ui_check_catches_english_on_a_zh_page():
    html = ('<a class="headerlink" href="#_1" title="Permanent link">&para;</a>'
            '<span class="filename">Server log</span><h2 id="_2">检查点</h2>')
    found = site_checks.english_ui(html)
    assert any("Permanent link" in f for f in found) and any("Server log" in f for f in found)
    assert any("#_1" in f or "_2" in f for f in found)


def test_tab_check_catches_tabs_that_do_not_switch(page, broken):
    assert site_checks.tab_problems(page, broken)
