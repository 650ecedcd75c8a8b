"""The suite's pytest plugins, one job each (registered in pyproject.toml with ``-p``):

- :mod:`plugins.servers`: the vLLM servers a session needs (the workshop's, a keyed one), started
  once for the whole session, whichever process asks first, and stopped at its end;
- :mod:`plugins.schedule`: which items run side by side under pytest-xdist (a page and its
  Chinese twin on one worker; items that measure speed alone);
- :mod:`plugins.docs`: Sybil runs every block of ``docs/{en,zh}`` as a reader would;
- :mod:`plugins.report`: examples per language, time per phase and per page, and the
  "verified with" record of a complete green run.
"""
