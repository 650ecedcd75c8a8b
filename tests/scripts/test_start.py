"""The README's first command: `./scripts/start` brings up the server (reused here) and the site."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx

from support import ROOT
from workshop_server import free_port


def test_start_serves_the_site_in_both_languages(vllm_server, tmp_path: Path):
    site_port = free_port()
    env = {**os.environ, "WORKSHOP_SITE_PORT": str(site_port)}
    if vllm_server.log_path is None:  # a remote server: start only the site
        env["WORKSHOP_SERVER"] = "none"
    else:  # the suite's local server: scripts/start must find and reuse it
        env["VLLM_PORT"] = str(urlparse(vllm_server.root).port or 8000)
    log = (tmp_path / "start.log").open("w+")
    proc = subprocess.Popen(["./scripts/start"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    base = f"http://127.0.0.1:{site_port}/vllm-workshop/"
    try:
        deadline = time.monotonic() + 240
        while True:
            assert proc.poll() is None, f"scripts/start exited:\n{Path(log.name).read_text()}"
            try:
                if httpx.get(base, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, Path(log.name).read_text()[-3000:]
            time.sleep(1)
        en, zh = httpx.get(base, timeout=10), httpx.get(base + "zh/", timeout=10)
        assert en.status_code == 200 and 'lang="en"' in en.text
        assert zh.status_code == 200 and 'lang="zh"' in zh.text
        output = Path(log.name).read_text()
        assert base in output and base + "zh/" in output, "start must print both site URLs"
        if vllm_server.log_path is not None:
            assert "reusing it" in output, "start must reuse the healthy server"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
