"""scripts/prepare_model.py: an interrupted conversion is repaired by the next run."""
from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from support import ROOT


def test_interrupted_model_preparation_is_repaired(tmp_path: Path):
    """Kill the conversion half-way; the folder is not left looking complete; the rerun repairs it."""
    dest = tmp_path / "model"
    cmd = [sys.executable, "scripts/prepare_model.py", "--dest", str(dest)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in proc.stdout:  # wait until the conversion is under way
        if "[2/3]" in line:
            break
    time.sleep(2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (dest / ".complete").exists()
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    assert (dest / ".complete").is_file() and (dest / "model.safetensors").is_file()
    assert not dest.with_name("model.partial").exists()
    again = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and "model ready" in again.stdout
    shutil.rmtree(dest)
