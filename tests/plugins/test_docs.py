"""Unit tests of the docs plugin's own logic (no server): expected-output matching, lab blocks,
the reader's fresh terminal and the reuse of identical twin blocks."""
import plugins.docs as plugin_docs


def matches(want: str, got: str) -> bool:
    return plugin_docs._mismatch("", want, got) is None


def test_a_bare_ellipsis_line_stands_for_any_lines():
    assert matches("start\n...\nend\n", "start\nnoise 1\nnoise 2\nend\n")
    assert matches("start\n...\nend\n", "start\nend\n")
    assert matches("...\nlast\n", "warning\nlast\n")


def test_a_line_ending_in_ellipsis_is_still_its_own_line():
    want = "label | ...\nlabel | ...\n"
    assert matches(want, "label | a\nlabel | b\n")
    assert not matches(want, "label | a\n"), "a missing line must fail"


def test_wrong_output_fails():
    assert not matches("valid: True\n", "valid: False\n")


def test_lab_blocks_are_recognised():
    """Blocks made only of lab includes show labs; anything else is not a lab display."""
    assert plugin_docs.labs_of('--8<-- "labs/m/a.py"\n') == ["labs/m/a.py"]
    assert plugin_docs.labs_of('--8<-- "labs/m/a.py:x"\n\n--8<-- "labs/m/a.py:y"\n') == ["labs/m/a.py"]
    assert plugin_docs.labs_of('--8<-- "labs/m/a.py:x"\n--8<-- "labs/m/b.sh:y"\n') == \
        ["labs/m/a.py", "labs/m/b.sh"]
    assert plugin_docs.labs_of('--8<-- "labs/m/a.py:x"\nprint(1)\n') is None
    assert plugin_docs.run_pattern("labs/m/a.py").search("$ VLLM_MODEL=x python labs/m/a.py 2")
    assert not plugin_docs.run_pattern("labs/m/a.py").search("$ python labs/m/a.py.bak")
    assert plugin_docs.run_pattern("labs/acme/tools.py").search("$ python -m acme.tools")
    assert not plugin_docs.run_pattern("labs/module1/sse.sh").search("$ python -m module1.sse")


def run_page(tmp_path, lang: str, text: str) -> list[str | None]:
    """Evaluate every example of a page written to ``<tmp>/docs/<lang>/page.md``; return each
    example's failure (or ``None``) in order."""
    path = tmp_path / "docs" / lang / "page.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    document = plugin_docs.SYBIL.parse(path)
    document.namespace["vllm_server"] = None  # these pages need no server
    results = []
    for example in document.examples():
        try:
            example.evaluate()
            results.append(None)
        except Exception as exc:  # noqa: BLE001 - Sybil raises its own failure type
            results.append(str(exc))
    return results


IN_VENV = "test \"$(python -c 'import sys; print(sys.prefix)')\" = \"$PWD/.venv\"\n"


def test_a_page_runs_in_a_fresh_terminal(tmp_path):
    """A page's commands start without the virtual environment, in the folder holding the clone,
    and the state carries over: a `python` that needs the venv fails before the page activates it."""
    page = f"```bash\ncd vllm-workshop\n```\n\n```bash\n{IN_VENV}```\n"
    first, second = run_page(tmp_path, "en", page)
    assert first is None and second is not None, "python must not be the venv's before activation"
    page = f"```bash\ncd vllm-workshop\nsource .venv/bin/activate\n```\n\n```bash\n{IN_VENV}```\n"
    assert run_page(tmp_path, "en", page) == [None, None]


def test_the_twin_page_reuses_identical_commands(tmp_path, monkeypatch):
    """The same block at the same place of the zh twin reuses the en result; another block runs."""
    page = "```console\n$ echo $RANDOM\n...\n```\n"
    monkeypatch.setattr(plugin_docs, "STATS", {})  # the session's own counts stay untouched
    monkeypatch.setenv("PYTEST_CURRENT_TEST", "en page (pytest sets this per test)")
    run_page(tmp_path, "en", page)
    monkeypatch.setenv("PYTEST_CURRENT_TEST", "zh page")
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "true")  # what loading mkdocs.yml does to this process
    run_page(tmp_path, "zh", page)
    assert plugin_docs.STATS["zh"] == {"ran": 0, "reused": 1}
    run_page(tmp_path, "zh", "```console\n$ echo other\nother\n```\n")
    assert plugin_docs.STATS["zh"] == {"ran": 1, "reused": 1}


def test_a_shown_lab_must_be_run_by_the_page(tmp_path):
    """A block that shows lab code fails unless another block runs that lab."""
    show = '```python title="labs/module1/first_chat.py"\n--8<-- "labs/module1/first_chat.py"\n```\n'
    failure, = run_page(tmp_path, "en", show)
    assert failure and "no block of the page runs it" in failure
    ran = run_page(tmp_path, "en", show + "\n<!-- skip: next \"x\" -->\n```console\n"
                   "$ python labs/module1/first_chat.py\n```\n")
    assert ran[0] and "no block of the page" in ran[0], "a skipped run does not count"
    started_before = "```console\n$ echo python labs/module1/first_chat.py\npython labs/module1/first_chat.py\n```\n"
    assert run_page(tmp_path, "en", started_before + show) == [None, None], "an earlier run counts"
    assert run_page(tmp_path, "en", "```python\nprint(1)\n```\n")[0], "inline python is refused"


def test_a_recorded_run_block_only_includes_record_files(tmp_path):
    """A "Recorded run" block is not compared with a new run; it must include a file that exists
    under labs/<module>/record/, and nothing else."""
    block = '```text title="Recorded run: test"\n{}\n```\n'
    assert run_page(tmp_path, "en", block.format('--8<-- "labs/module5/record/why_vllm.txt"')) == [None]
    missing, = run_page(tmp_path, "en", block.format('--8<-- "labs/module5/record/nothing.txt"'))
    assert missing and "missing" in missing
    typed, = run_page(tmp_path, "en", block.format("1000 tokens/s"))
    assert typed and "only includes" in typed
    other, = run_page(tmp_path, "en", '```text title="Anything"\nx\n```\n')
    assert other and "Recorded run" in other


def test_a_yaml_block_shows_a_manifest_from_labs(tmp_path):
    """A yaml block includes a manifest under labs/ that parses; inline YAML is refused."""
    shown = '```yaml title="labs/scaling/vllm-k8s.yaml"\n--8<-- "labs/scaling/vllm-k8s.yaml"\n```\n'
    assert run_page(tmp_path, "en", shown) == [None]
    inline, = run_page(tmp_path, "en", "```yaml\nkind: Pod\n```\n")
    assert inline and "only include manifests" in inline
