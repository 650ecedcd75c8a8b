"""What runs side by side (``tests/plugins/schedule.py``): the work units, and the lock that lets an
``alone`` item run with nothing else."""
from __future__ import annotations

import threading
import time

from plugins import schedule


def test_a_page_and_its_twin_are_one_unit_and_a_test_file_is_another():
    en = schedule.unit_of("docs/en/module1.md::sybil:docs,line:14,column:1")
    zh = schedule.unit_of("docs/zh/module1.md::sybil:docs,line:12,column:1")
    assert en == zh == "docs/module1.md"
    assert schedule.unit_of("tests/labs/test_lab_errors.py::test_x[labs/a.py]") == "tests/labs/test_lab_errors.py"
    assert schedule.unit_of("docs/en/module3.md::x") == schedule.unit_of("docs/zh/module4.md::y") == \
        schedule.unit_of("docs/en/app.md::z"), "pages that share ACME's database run in one unit"
    assert schedule.unit_of("docs/en/module2.md::x") != schedule.unit_of("docs/en/module3.md::x")


def test_an_exclusive_holder_waits_for_shared_holders_and_blocks_new_ones(tmp_path):
    """With real flocks: an ``alone`` item waits for the item that holds the lock, and an item that
    comes after it waits for it."""
    events = []

    def item(name, alone, hold):
        with schedule.turn(alone, tmp_path):
            events.append(f"{name} in")
            time.sleep(hold)
            events.append(f"{name} out")

    threads = [threading.Thread(target=item, args=args) for args in
               (("r1", False, 0.5), ("alone", True, 0.3), ("r2", False, 0))]
    for t in threads:
        t.start()
        time.sleep(0.1)
    for t in threads:
        t.join(10)
    assert events == ["r1 in", "r1 out", "alone in", "alone out", "r2 in", "r2 out"]


def test_the_blocks_that_need_a_quiet_server_are_found_on_the_pages():
    """Every pattern of ALONE_BLOCKS matches a block of a page (else it marks nothing)."""
    import re

    import pages

    text = "\n".join(pages.read("en", page) for page in pages.pages("en"))
    for pattern in schedule.ALONE_BLOCKS:
        assert re.search(pattern, text), pattern


def test_core_heavy_commands_run_alone_on_the_english_page_only():
    """A block that runs a core-heavy command is ``alone`` on the English page; its Chinese twin
    (which reuses that result) and a block that only shows the lab's source are not; every pattern
    of CORE_HEAVY_BLOCKS marks some block (else it marks nothing)."""
    from types import SimpleNamespace

    import pytest

    def marked(nodeid: str, block: str) -> bool:
        item = SimpleNamespace(nodeid=nodeid, example=SimpleNamespace(parsed=block), markers=[])
        item.add_marker = item.markers.append
        schedule.pytest_collection_modifyitems([item])
        return any(m.name == "alone" for m in item.markers if isinstance(m, pytest.MarkDecorator))

    train = "$ python labs/module6/train_adapter.py --profile quick\nadapter acme-tone: ...\n"
    assert marked("docs/en/module6.md::sybil:docs,line:87,column:1", train)
    assert not marked("docs/zh/module6.md::sybil:docs,line:67,column:1", train)
    assert not marked("docs/en/module6.md::x", '--8<-- "labs/module6/train_adapter.py:loop"\n')
    assert not marked("docs/en/module5.md::x", "$ python labs/module5/tune.py --list\n...\n")
    assert marked("docs/en/api.md::x", "VLLM_PORT=$P python scripts/server.py start --name embeddings -- \\\n  vllm serve x\n")
    assert not marked("docs/en/module6.md::x", "$ VLLM_PORT=$P python scripts/server.py start --name router -- \\\n")

    import re

    import pages
    text = "\n".join(pages.read("en", page) for page in pages.pages("en"))
    for pattern in schedule.CORE_HEAVY_BLOCKS:
        assert re.search(pattern, text), pattern
