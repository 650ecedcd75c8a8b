"""The "verified with" box is built from the suite's record, in the page's language."""
import mkdocs_hooks
import translation

RECORD = {"date": "2026-11-23", "openai": "3.54.0", "vllm": "0.32.0",
          "model": "SmolLM2-135M-Instruct",
          "examples": {"en": {"passed": 39, "skipped": 12}, "zh": {"passed": 38, "skipped": 12}}}


def test_box_shows_the_record_in_each_language():
    en, zh = mkdocs_hooks.render("en", RECORD), mkdocs_hooks.render("zh", RECORD)
    for box in (en, zh):
        assert "0.32.0" in box and "SmolLM2-135M-Instruct" in box and "3.54.0" in box
    assert "39 examples passed, 12 skipped" in en and "验证环境" in zh and "38 个示例通过" in zh


def test_box_without_a_record_says_how_to_make_one():
    assert "./scripts/test" in mkdocs_hooks.render("en", None)
    assert "./scripts/test" in mkdocs_hooks.render("zh", None)


def test_a_stale_translation_says_so_under_its_title():
    """A Chinese page that records another version of its English twin shows 译文可能已过时."""
    markdown = "# 模块 1：启动服务与对话\n\n正文。\n"
    current = {"translated_from": translation.english_hash("module1.md")}
    assert mkdocs_hooks.stale_note(markdown, "zh", "module1.md", current) == markdown
    for meta in ({"translated_from": "000000000000"}, {}):
        shown = mkdocs_hooks.stale_note(markdown, "zh", "module1.md", meta)
        assert shown.startswith("# 模块 1：启动服务与对话\n\n!!! warning \"译文可能已过时\"\n")
        assert shown.endswith("\n正文。\n")
    assert mkdocs_hooks.stale_note("# Module 1\n", "en", "module1.md", {}) == "# Module 1\n"
