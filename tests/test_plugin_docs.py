"""Unit tests of the docs plugin's own logic (no server): expected-output matching, lab blocks."""
import plugin_docs


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
    """Blocks made only of includes from one lab run that lab; anything else runs in the page."""
    assert plugin_docs.lab_of('--8<-- "labs/m/a.py"\n') == "labs/m/a.py"
    assert plugin_docs.lab_of('--8<-- "labs/m/a.py:x"\n\n--8<-- "labs/m/a.py:y"\n') == "labs/m/a.py"
    assert plugin_docs.lab_of('--8<-- "labs/m/a.py:x"\n--8<-- "labs/m/b.py:y"\n') is None
    assert plugin_docs.lab_of('--8<-- "labs/m/a.py:x"\nprint(1)\n') is None
    assert plugin_docs.lab_of('--8<-- "labs/m/a.sh"\n') is None
