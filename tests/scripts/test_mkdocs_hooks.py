"""The "verified with" box is built from the suite's record, in the page's language."""
import mkdocs_hooks

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
