"""The site as a whole: it builds strictly, both languages match, and nothing escapes the checks."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

import pages
import plugins.docs as plugin_docs

ROOT = pages.ROOT
#: Files under labs/ that are not labs a page must show (helpers, templates).
NOT_LABS = {"labs/workshop.py", "labs/workshop.sh", "labs/workshop_server.py",
            # Module 5's shared helper, and the instructors' script (30 minutes) that recorded the
            # figures its page shows; tests/labs/module5/test_module5_labs.py checks that record.
            "labs/module5/bench.py", "labs/module5/record.sh",
            # the instructors' script (about 15 minutes) that recorded Module 6's routing figures;
            # tests/labs/module6/test_routing.py checks that record
            "labs/module6/record_routing.sh",
            # the instructors' script (about 10 minutes) that recorded Module 6's adapter runs
            # (training, house style, mixed batch, cost); the page shows what it kept
            "labs/module6/record_adapters.sh",
            # the container labs' shared helper, sourced by each of them (not run by itself)
            "labs/container/common.sh"}
#: Library packages under labs/ that labs import; their modules are not labs by themselves
#: (labs/acme/: ACME's data and tools, which Module 3 runs as ``python -m acme.db`` and
#: ``python -m acme.tools``).
LIBRARIES = ("labs/acme/",)


def test_mkdocs_build_strict(built_site: Path):
    """`mkdocs build --strict` succeeds for both languages (missing snippets fail it too)."""
    for lang_prefix in ("", "zh/"):
        for page in pages.pages("en"):
            html = page.removesuffix(".md")
            target = built_site / lang_prefix / ("index.html" if html == "index" else f"{html}/index.html")
            assert target.is_file(), f"{target} was not built"
            text = target.read_text(encoding="utf-8")
            assert "--8<--" not in text, f"an unresolved snippet include in {target}"
            assert "module-table:" not in text and "next-page" not in text, \
                f"an unreplaced marker in {target}"
    zh_home = (built_site / "zh" / "index.html").read_text(encoding="utf-8")
    assert 'lang="zh"' in zh_home, "the Chinese home page is not marked lang=zh"


def test_same_pages_in_both_languages():
    """Every page exists in docs/en and docs/zh (the i18n plugin would silently fall back)."""
    assert pages.pages("en"), "no English pages"
    assert pages.pages("en") == pages.pages("zh")


def fence_key(fence: pages.Fence) -> tuple:
    """What must be identical in both languages: the code, and the title as the docs plugin reads
    it (a file path stays as it is; ``Output`` and ``Server log`` are translated)."""
    title = plugin_docs.title_of(fence.info) or ""
    titles = {**plugin_docs.TEXT_TITLES, **plugin_docs.BLOCK_TITLES}
    kind = "record" if title.startswith(plugin_docs.RECORD_TITLES) else titles.get(title, title)
    info = re.sub(r'\s*title="[^"]*"', "", fence.info)
    return fence.indent, info, kind, fence.body


@pytest.mark.parametrize("page", pages.pages("en"))
def test_same_code_and_structure(page: str):
    """Same fences byte for byte (titles translated), same directives, heading levels,
    admonitions and tabs."""
    en, zh = pages.read("en", page), pages.read("zh", page)
    en_f = [fence_key(f) for f in pages.fences(en)]
    zh_f = [fence_key(f) for f in pages.fences(zh)]
    assert en_f == zh_f, f"{page}: code blocks differ between en and zh"
    assert pages.directives(en) == pages.directives(zh), f"{page}: directives differ"
    assert pages.headings(en) == pages.headings(zh), f"{page}: heading levels differ"
    assert pages.admonitions(en) == pages.admonitions(zh), f"{page}: admonitions differ"
    assert pages.tabs(en) == pages.tabs(zh), f"{page}: content tabs differ"


def uncollected(path: Path) -> list[str]:
    """Problems with the fences of one page: a language the docs plugin does not run, or a
    fence Sybil did not turn into an example. Empty when every block is checked."""
    text = path.read_text(encoding="utf-8")
    document = plugin_docs.SYBIL.parse(path)
    starts = {text.count("\n", 0, r.start) + 1 for _, r in document.regions}
    problems = []
    for fence in pages.fences(text):
        if fence.language not in plugin_docs.LANGUAGES:
            problems.append(f"{path}:{fence.line}: fence language {fence.language!r} is not run "
                            f"(use one of {plugin_docs.LANGUAGES})")
        elif fence.line not in starts:
            problems.append(f"{path}:{fence.line}: fence not collected by Sybil")
    return problems


@pytest.mark.parametrize("lang", pages.LANGS)
def test_every_fence_is_collected(lang: str):
    """Each fence is a block the docs plugin runs: no language it ignores, none it misses."""
    problems = [p for page in pages.pages(lang) for p in uncollected(pages.DOCS / lang / page)]
    assert not problems, "\n".join(problems)


def test_translated_titles_are_the_same_block():
    """``Server log`` and ``服务器日志`` are the same kind of block; a path title must not change."""
    log_en = pages.Fence(1, "", 'text title="Server log"', "x")
    log_zh = pages.Fence(1, "", 'text title="服务器日志"', "x")
    assert fence_key(log_en) == fence_key(log_zh)
    lab_en = pages.Fence(1, "", 'python title="labs/a.py"', "x")
    lab_zh = pages.Fence(1, "", 'python title="labs/b.py"', "x")
    assert fence_key(lab_en) != fence_key(lab_zh)


def test_uncollected_fences_are_caught(tmp_path: Path):
    """The check above can fail: a fence in a language nobody runs is reported."""
    page = tmp_path / "bad.md"
    page.write_text("# Bad\n\n```toml\nkey = 1\n```\n\n```python\nprint(1)\n```\n")
    problems = uncollected(page)
    assert len(problems) == 1 and "'toml'" in problems[0]


def test_skip_without_reason_fails(tmp_path: Path):
    """A bare <!-- skip: next --> becomes a failing example, never a silent pass."""
    page = tmp_path / "skip.md"
    page.write_text('<!-- skip: next -->\n```bash\nexit 1\n```\n\n'
                    '<!-- skip: next "a reason" -->\n```bash\nexit 1\n```\n')
    document = plugin_docs.SYBIL.parse(page)
    skips = [r for _, r in document.regions if r.evaluator is plugin_docs._no_reason]
    assert len(skips) == 1, "exactly the bare skip must be turned into a failure"
    assert "without a reason" in plugin_docs._no_reason(None)


def test_every_lab_is_on_a_page():
    """Each lab under labs/ is included (whole or by section) or run (``$ python labs/x.py``)
    by some English page."""
    included = set()
    for page in pages.pages("en"):
        for fence in pages.fences(pages.read("en", page)):
            included.update(re.findall(r'--8<--\s+"(labs/[^":]+)', fence.body))
            included.update(re.findall(r'^\$ python (labs/\S+\.py)', fence.body, re.MULTILINE))
    labs = {p.relative_to(ROOT).as_posix() for p in (ROOT / "labs").rglob("*")
            if p.is_file() and p.suffix in (".py", ".sh", ".jinja", ".yaml") and "__pycache__" not in p.parts}
    missing = sorted(l for l in labs - included - NOT_LABS if not l.startswith(LIBRARIES))
    assert not missing, f"labs no page includes: {missing}"
    for lab in sorted(included):
        assert (ROOT / lab).is_file(), f"a page includes {lab}, which does not exist"


def test_nav_is_translated():
    """Every nav title in mkdocs.yml has a Chinese translation."""
    cfg = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)
    titles = []

    def walk(items):
        for item in items:
            if isinstance(item, dict):
                for title, value in item.items():
                    titles.append(title)
                    if isinstance(value, list):
                        walk(value)

    walk(cfg["nav"])
    i18n = next(p["i18n"] for p in cfg["plugins"] if isinstance(p, dict) and "i18n" in p)
    zh = next(lang for lang in i18n["languages"] if lang["locale"] == "zh")
    missing = [t for t in titles if t not in zh.get("nav_translations", {})]
    assert not missing, f"nav titles without a zh translation: {missing}"



def test_a_page_names_the_tests_of_its_labs():
    """``./scripts/page`` runs a page with the tests of the labs it uses, and nothing more."""
    assert {"tests/labs/module3", "tests/labs/acme"} <= set(pages.lab_test_paths("module3.md"))
    assert pages.lab_test_paths("glossary.md") == []
