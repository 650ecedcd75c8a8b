"""scripts/translation.py: a Chinese page records which English it translates; a change to the
English makes it stale, and one command records the new version."""
import translation


def make(tmp_path, en="# Title\n\nSome prose.\n", zh="---\ndescription: 说明\n---\n# 标题\n\n正文。\n"):
    (tmp_path / "en").mkdir()
    (tmp_path / "zh").mkdir()
    (tmp_path / "en" / "page.md").write_text(en, encoding="utf-8")
    (tmp_path / "zh" / "page.md").write_text(zh, encoding="utf-8")
    return tmp_path


def test_refresh_records_the_english_and_a_change_makes_it_stale(tmp_path):
    docs = make(tmp_path)
    assert translation.is_stale("page.md", docs), "a page without a record is stale"
    value = translation.refresh("page.md", docs)
    text = (docs / "zh" / "page.md").read_text(encoding="utf-8")
    assert text.startswith(f'---\ndescription: 说明\ntranslated_from: "{value}"\n---\n# 标题\n')
    assert not translation.is_stale("page.md", docs)
    (docs / "en" / "page.md").write_text("# Title\n\nOther prose.\n", encoding="utf-8")
    assert translation.is_stale("page.md", docs)
    assert "python scripts/translation.py page" in translation.explain("page.md", docs)
    assert translation.refresh("page.md", docs) != value
    assert (docs / "zh" / "page.md").read_text(encoding="utf-8").count("translated_from") == 1
    assert not translation.is_stale("page.md", docs)


def test_record_is_read_quoted_or_not_and_needs_front_matter(tmp_path):
    assert translation.recorded('---\ntranslated_from: "0123abcd4567"\n---\n') == "0123abcd4567"
    assert translation.recorded("---\ntranslated_from: 0123abcd4567\n---\n") == "0123abcd4567"
    assert translation.recorded("# no front matter\ntranslated_from: 0123abcd4567\n") is None
    try:
        translation.with_record("# no front matter\n", "0123abcd4567")
    except ValueError as e:
        assert "front matter" in str(e)
    else:
        raise AssertionError("a page without front matter was accepted")


def test_the_command_names_an_unknown_page(capsys):
    assert translation.main(["no-such-page"]) == 2
    assert "error: no page docs/zh/no-such-page.md" in capsys.readouterr().err
