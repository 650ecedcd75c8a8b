"""Checks of the built site in a real headless Chromium, one function per promise the site makes.

Each check takes a Playwright ``Page`` (and URLs) and returns a list of problems, empty when the
check holds, so that ``tests/docs/test_site.py`` can run it on the real site and on a deliberately
broken page. Facts used here (checked against mkdocs-material 9.8.1's built HTML): the language
menu holds ``a.md-select__link[hreflang=...]``; code blocks get a copy button at runtime
(``button.md-code__button[data-md-type=copy]``, ``button.md-clipboard`` before 9.7) whose click
copies the block; search results are ``.md-search-result__item``; content
tabs are ``.tabbed-set`` with ``.tabbed-labels > label`` and ``.tabbed-block`` panels.
"""
from __future__ import annotations

import contextlib
import csv
import functools
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

#: Debian's chromium, installed by scripts/setup.sh; override with $CHROMIUM.
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
#: Flags for a root user on a machine without network (background traffic is refused there).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
COPY_BUTTON = 'button.md-code__button[data-md-type="copy"], button.md-clipboard'


class QuietHandler(SimpleHTTPRequestHandler):
    """A static file handler that does not log every request to stderr."""

    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


@contextlib.contextmanager
def serve(directory: Path, prefix: str) -> Iterator[str]:
    """Serve ``directory`` at ``http://127.0.0.1:<port>/<prefix>/`` (the site's real path)."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / prefix).symlink_to(directory.resolve())
        handler = functools.partial(QuietHandler, directory=tmp)
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}/{prefix}/"
        finally:
            server.shutdown()
            thread.join()


def page_pairs(site: Path) -> list[str]:
    """Relative URLs (``""``, ``"module1/"``, ...) of the English pages that have a Chinese twin."""
    pairs = []
    for index in sorted(site.rglob("index.html")):
        rel = index.parent.relative_to(site).as_posix()
        rel = "" if rel == "." else rel + "/"
        if rel.startswith(("zh/", "search/", "assets/")) or rel == "zh/":
            continue
        if (site / "zh" / rel / "index.html").is_file():
            pairs.append(rel)
    return pairs


def twin_sitemap(requested: str, page_url: str) -> bool:
    """True for Material's look-up of ``<language twin>/sitemap.xml``, which 404s by design here.

    Material 9.8's bundle fetches ``sitemap.xml`` under the href of every
    ``<link rel="alternate">`` to map pages across languages, expecting language roots;
    mkdocs-static-i18n points those links at the page's twin instead, so the fetch 404s and
    Material keeps the link as it is (the switcher test checks where it leads). The site's own
    ``/<prefix>/sitemap.xml`` must still load: only sitemaps below a page are excused.
    """
    path, root = urlparse(requested).path, urlparse(page_url).path.split("/")[1]
    return path.endswith("/sitemap.xml") and path not in (f"/{root}/sitemap.xml",)


def load_problems(page, url: str) -> list[str]:
    """Console errors, uncaught exceptions, failed requests and requests leaving this machine
    while ``url`` loads (the site must work offline: no CDN fonts or scripts)."""
    problems: list[str] = []

    def console(message):
        # A failed load is reported with its URL by the response listener below.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(f"console: {message.text}")

    def response(r):
        if r.status >= 400 and not twin_sitemap(r.url, url):
            problems.append(f"HTTP {r.status}: {r.url}")
    page.on("console", console)
    page.on("response", response)
    page.on("pageerror", lambda e: problems.append(f"exception: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed request: {r.url}"))

    def request(r):
        if urlparse(r.url).hostname not in LOCAL_HOSTS and urlparse(r.url).scheme in ("http", "https"):
            problems.append(f"request off this machine: {r.url}")
    page.on("request", request)
    response = page.goto(url, wait_until="load")
    if response is None or response.status != 200:
        problems.append(f"HTTP {response.status if response else '-'} for {url}")
    page.wait_for_timeout(300)  # late console errors from deferred scripts
    return problems


def switch_language(page, to: str, timeout_ms: float = 5000) -> None:
    """Open the language menu and pick ``to`` (``"en"`` or ``"zh"``), as a reader does.

    Raises Playwright's ``TimeoutError`` after ``timeout_ms`` when the page has no such menu."""
    page.hover(".md-header .md-select", timeout=timeout_ms)
    page.click(f'.md-header a.md-select__link[hreflang="{to}"]', timeout=timeout_ms)
    page.wait_for_load_state("load")


def switcher_problems(page, en_url: str, zh_url: str) -> list[str]:
    """From ``en_url`` the switcher must lead to ``zh_url`` (lang=zh) and back (lang=en)."""
    problems = []
    page.goto(en_url)
    for target, url in (("zh", zh_url), ("en", en_url)):
        try:
            switch_language(page, target)
        except Exception as exc:  # noqa: BLE001 - report, do not crash the loop
            return problems + [f"{page.url}: no working switch to {target} ({type(exc).__name__})"]
        lang = page.get_attribute("html", "lang")
        if page.url != url or lang != target:
            problems.append(f"switch to {target} went to {page.url} (lang={lang}), expected {url}")
    return problems


def search_results(page, url: str, term: str, wait_ms: float = 10000) -> list[str]:
    """Titles and URLs of the search results for ``term``, typed into the site's search box
    (``[]`` when nothing is found within ``wait_ms``, or when the page has no search box)."""
    page.goto(url, wait_until="load")
    page.wait_for_timeout(1000)  # the search worker loads the index after the page
    box = page.locator("label.md-search__icon, .md-search__input")
    if box.count() == 0:
        return []
    box.first.click(timeout=5000)
    page.keyboard.type(term, delay=30)
    page.keyboard.press("End")  # Material searches on key events; typed CJK text sends none
    try:
        page.wait_for_selector(".md-search-result__item", timeout=wait_ms)
    except Exception:  # noqa: BLE001 - no results is an answer, not a crash
        return []
    return page.eval_on_selector_all(".md-search-result__item a",
                                     "els => els.map(e => e.href + ' ' + e.innerText)")


def copy_problems(page, url: str, limit: int = 3) -> list[str]:
    """Click the copy button of the first ``limit`` code blocks; the clipboard must hold the code."""
    page.goto(url)
    blocks = page.locator(f"div.highlight:has({COPY_BUTTON})")
    if blocks.count() == 0:
        return [f"{url}: no code block with a copy button"]
    problems = []
    for i in range(min(limit, blocks.count())):
        block = blocks.nth(i)
        code = block.locator("code").first.inner_text().rstrip("\n")
        page.evaluate("navigator.clipboard.writeText('')")
        block.hover()
        block.locator(COPY_BUTTON).first.click()
        page.wait_for_timeout(200)
        copied = page.evaluate("navigator.clipboard.readText()").rstrip("\n")
        if copied != code:
            problems.append(f"{url}: block {i}: clipboard holds {copied[:40]!r}, not the code "
                            f"{code[:40]!r}")
    return problems


def tab_problems(page, url: str) -> list[str]:
    """In each content tab set, clicking the second label shows its panel and hides the first."""
    page.goto(url)
    sets = page.locator(".tabbed-set")
    if sets.count() == 0:
        return [f"{url}: no content tabs"]
    problems = []
    for i in range(sets.count()):
        tabs = sets.nth(i)
        labels, panels = tabs.locator(".tabbed-labels > label"), tabs.locator(".tabbed-block")
        if labels.count() < 2 or panels.count() < 2:
            problems.append(f"{url}: tab set {i} has fewer than two tabs")
            continue
        labels.nth(1).click()
        page.wait_for_timeout(100)
        if not panels.nth(1).is_visible() or panels.nth(0).is_visible():
            problems.append(f"{url}: tab set {i}: clicking the second tab did not switch panels")
        labels.nth(0).click()
    return problems


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or ``None`` when Chromium is installed."""
    if Path(CHROMIUM).is_file() or shutil.which(CHROMIUM):
        return None
    return (f"Chromium not found at {CHROMIUM}: run ./scripts/test (its set-up installs Debian's "
            "chromium) or apt-get install -y chromium, or set CHROMIUM=/path/to/chromium")


def configured_site_url() -> str:
    """``site_url`` as MkDocs reads mkdocs.yml (its ``!ENV`` tag: ``$WORKSHOP_SITE_URL`` or the
    local default), e.g. ``http://127.0.0.1:8001/vllm-workshop/``."""
    from mkdocs.config import load_config

    return load_config(str(Path(__file__).resolve().parents[1] / "mkdocs.yml"))["site_url"]


def check_links(url: str, site_url: str = "") -> tuple[list[str], list[str]]:
    """Crawl the served site from ``url`` with LinkChecker: ``(broken, external)``.

    ``broken``: internal links (pages, assets) that do not answer 200. ``external``:
    ``"<url> (on <page>)"`` for every link that leaves the site; listed, never fetched. Links to
    ``site_url`` (the canonical address) are the site's own. Anchors are checked by
    ``mkdocs build --strict`` (``validation.anchors`` in mkdocs.yml): LinkChecker's AnchorCheck
    re-fetches a page per anchor and took over 10 minutes on this site.
    """
    with tempfile.TemporaryDirectory() as tmp:
        p = subprocess.run([str(Path(sys.executable).parent / "linkchecker"), "--no-status",
                            "--verbose", "-o", "csv", url],
                           capture_output=True, text=True, timeout=300, cwd=tmp)
    rows = csv.DictReader(io.StringIO("\n".join(
        line for line in p.stdout.splitlines() if not line.startswith("#"))), delimiter=";")
    broken, external = [], set()
    for row in rows:
        target, parent = row["url"] or row["urlname"], row["parentname"]
        if row["result"] == "filtered":
            if not (site_url and target.startswith(site_url)):
                external.add(f"{target} (on {parent})")
        elif row["valid"] != "True":
            broken.append(f"{row['urlname']} on {parent or url}: {row['result']} "
                          f"{row['warningstring']}".strip())
    if p.returncode not in (0, 1) or (p.returncode == 1 and not broken):
        broken.append(f"linkchecker exited {p.returncode}: {p.stderr[-500:]}")
    return broken, sorted(external)


def console_copy_problems(page, url: str, limit: int = 3) -> list[str]:
    """Console blocks copy their commands only (no ``$``, no output); text blocks have no copy
    button. Expected commands are read from the rendered block: its ``$ `` lines, with
    backslash-continued lines. Blank lines are ignored (a hidden output line leaves its line
    break, and an empty line does nothing in a terminal)."""
    page.goto(url)
    problems = []
    blocks = page.locator(f"div.language-console.highlight:has({COPY_BUTTON})")
    if blocks.count() == 0:
        return [f"{url}: no console block with a copy button"]
    for i in range(min(limit, blocks.count())):
        block = blocks.nth(i)
        lines = block.locator("code").first.inner_text().rstrip("\n").split("\n")
        commands, more = [], False
        for line in lines:
            if line.startswith("$ ") or more:
                commands.append(line.removeprefix("$ ") if not more else line)
                more = line.endswith("\\")
        page.evaluate("navigator.clipboard.writeText('')")
        block.hover()
        block.locator(COPY_BUTTON).first.click()
        page.wait_for_timeout(200)
        copied = page.evaluate("navigator.clipboard.readText()").rstrip("\n")
        copied = "\n".join(line for line in copied.split("\n") if line.strip())
        if copied != "\n".join(commands):
            problems.append(f"{url}: console block {i}: clipboard holds {copied[:60]!r}, "
                            f"not the commands {chr(10).join(commands)[:60]!r}")
    for i, button in enumerate(page.locator(f"div.language-text.highlight {COPY_BUTTON}").all()):
        if button.is_visible() or button.evaluate("b => getComputedStyle(b).display") != "none":
            problems.append(f"{url}: text block {i} (output or log) has a copy button")
    return problems


CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
#: Interface strings that are the same in Chinese (names, not English prose).
SAME_IN_CHINESE = {"vLLM", "GitHub", "Material for MkDocs", "MkDocs"}


def english_ui(html: str) -> list[str]:
    """English left in a Chinese page's interface: ``title``/``aria-label``/``placeholder``
    values and code block titles made of English words (paths and names excepted), and heading
    anchors that say nothing (``#_1``, what the default slugify makes of a Chinese heading)."""
    found = []
    values = re.findall(r'(?:title|aria-label|placeholder)="([^"]*)"', html)
    values += re.findall(r'class="filename">([^<]*)<', html)
    for value in sorted(set(values)):
        if CJK.search(value) or value in SAME_IN_CHINESE or re.search(r"[/.]", value):
            continue
        if re.search(r"[A-Za-z]{3,}", value):
            found.append(f"English interface text: {value!r}")
    found += [f"an unreadable heading anchor: #{a}"
              for a in re.findall(r'<h[1-6][^>]*\sid="(_\d*)"', html)]
    return found
