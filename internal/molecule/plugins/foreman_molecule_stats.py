"""Record a playbook's statistics and changed tasks as JSON (hack/molecule).

Enabled beside whatever stdout callback a scenario uses, it writes
{"hosts": {host: {ok, changed, failures, ...}}, "changed": [{host, task, path}]}
to the file named by FOREMAN_MOLECULE_STATS when the playbook ends, so that
the idempotence step counts changes without parsing the PLAY RECAP text.
"""

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: foreman_molecule_stats
type: aggregate
short_description: Write the play's statistics and changed tasks as JSON
description:
  - Writes to the file named by the FOREMAN_MOLECULE_STATS environment variable when the playbook ends.
requirements:
  - enabled in callbacks_enabled
"""


class CallbackModule(CallbackBase):
    """Collect changed tasks; write them and the statistics at the end."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "foreman_molecule_stats"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._changed = []

    def _record(self, result):
        if result._result.get("changed", False):
            self._changed.append({
                "host": result._host.get_name(),
                "task": result._task.get_name(),
                "path": result._task.get_path() or "",
            })

    def v2_runner_on_ok(self, result):
        self._record(result)

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("FOREMAN_MOLECULE_STATS")
        if not path:
            return
        hosts = {h: stats.summarize(h) for h in sorted(stats.processed)}
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"hosts": hosts, "changed": self._changed}, f)
