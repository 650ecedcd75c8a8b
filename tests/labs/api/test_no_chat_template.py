"""labs/api/no_chat_template.py: a model without a chat template, and the two fixes; the imports
of transformers and vLLM before its first result are not a silence (issue 21, long waits)."""
from __future__ import annotations

import pytest

from support import says_what_it_waits_for


@pytest.mark.server
def test_it_says_what_it_waits_for_then_shows_both_fixes(vllm_server):
    """A walkthrough on the busy 2-core machine waited 40 s for the first line: the first line
    now comes before the imports, a line follows every second of them, then the lab's own lines."""
    lines = says_what_it_waits_for("labs/api/no_chat_template.py",
                                   "importing transformers and vLLM's chat template code ...",
                                   VLLM_BASE_URL=vllm_server.base_url)
    assert lines[-4] == "chat template: None", lines[-5:]
    assert lines[-1] == ("fix 2, --chat-template labs/api/plain_chat.jinja -> prompt "
                         "'User: Where is order ACME-1042?\\nAssistant:'"), lines[-1]
