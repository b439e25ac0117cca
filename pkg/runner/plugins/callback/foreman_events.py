# Foreman operator event callback: one JSON object per Ansible event, written
# to a file descriptor the Go runner passes in FOREMAN_EVENTS_FD. The objects
# have the shape of ansible-runner's job events, so one Go parser reads both.
# Shipped inside the operator binary (pkg/runner); edit it there.

from __future__ import annotations

DOCUMENTATION = '''
    name: foreman_events
    type: notification
    short_description: Streams job events as JSON lines to the Foreman operator
    description:
      - Writes one JSON object per event (ansible-runner's job event shape) to
        the file descriptor named by FOREMAN_EVENTS_FD.
      - Results of no_log tasks are replaced by a censored marker.
    requirements:
      - FOREMAN_EVENTS_FD set to an open, writable file descriptor
'''

import datetime
import json
import os
import uuid

from ansible.module_utils.common.json import AnsibleJSONEncoder
from ansible.playbook.block import Block
from ansible.playbook.handler import Handler
from ansible.plugins.callback import CallbackBase

FD_ENV = 'FOREMAN_EVENTS_FD'
CENSORED = "the output has been hidden due to the fact that 'no_log: true' was specified for this result"
FALSE_WORDS = frozenset(('', 'false', 'no', 'off', '0', 'n', 'f'))


class _Encoder(AnsibleJSONEncoder):
    def default(self, o):
        try:
            return super().default(o)
        except TypeError:
            # Sets, bytes and other things modules return: keep the text.
            return str(o)


def _dumps(obj, **kwargs):
    """JSON for obj; keys JSON cannot hold (tuples, say) are dropped rather
    than losing the event."""
    try:
        return json.dumps(obj, cls=_Encoder, **kwargs)
    except (TypeError, ValueError):
        kwargs.pop('sort_keys', None)
        return json.dumps(obj, cls=_Encoder, skipkeys=True, **kwargs)


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _no_log(task, res):
    """Whether a result must be censored. Ansible already censors what it
    hands to callbacks; this guard also covers a no_log that is still an
    unrendered template, which counts as true."""
    if isinstance(res, dict) and res.get('_ansible_no_log'):
        return True
    value = getattr(task, 'no_log', False)
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    return str(value).strip().lower() not in FALSE_WORDS


def _rescued(task):
    """Whether a failure of task is rescued, by the rule Ansible's strategy
    uses to count it as rescued rather than failed: some enclosing block runs
    the task in its block: section and has a rescue: section. Handlers are
    never rescued."""
    if isinstance(task, Handler):
        return False
    below = {task._uuid}
    node = task._parent
    while node is not None:
        if isinstance(node, Block) and node.rescue:
            if any(getattr(t, '_uuid', None) in below for t in node.block):
                return True
        below.add(node._uuid)
        node = node._parent
    return False


def _public(res):
    return {k: v for k, v in res.items() if not k.startswith('_ansible_')}


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'notification'
    CALLBACK_NAME = 'foreman_events'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, display=None):
        super().__init__(display=display)
        self._fd = None
        self._counter = 0
        self._starts = {}
        self._playbook = {}
        self._play = {}
        fd = os.environ.get(FD_ENV)
        if not fd:
            self.disabled = True
            return
        try:
            self._fd = int(fd)
            # Module processes and whatever they spawn must not hold the
            # pipe open, or the reader never sees its end.
            os.set_inheritable(self._fd, False)
        except (ValueError, OSError) as e:
            self._display.warning('foreman_events: cannot use %s=%s: %s' % (FD_ENV, fd, e))
            self.disabled = True

    # Output.

    def _emit(self, event, data, stdout=None):
        self._counter += 1
        obj = {
            'uuid': str(uuid.uuid4()),
            'counter': self._counter,
            'event': event,
            'created': _now().isoformat(),
            'pid': os.getpid(),
            'event_data': data,
        }
        if stdout is not None:
            obj['stdout'] = stdout
        line = (_dumps(obj, separators=(',', ':')) + '\n').encode('ascii')
        try:
            while line:
                line = line[os.write(self._fd, line):]
        except OSError as e:
            # The reader is gone; stop writing rather than fail every task.
            self._display.warning('foreman_events: stopped, cannot write events: %s' % e)
            self.disabled = True

    # Context shared by events.

    def _task_data(self, task):
        data = dict(self._play)
        data.update(
            task=task.get_name().strip(),
            task_uuid=task._uuid,
            task_action=task.action,
            resolved_action=getattr(task, 'resolved_action', None) or task.action,
            task_path=task.get_path(),
        )
        return data

    def _result_data(self, result, final=True):
        """Event data of a result; final is false for the results of loop
        items and async polls, which precede the task's own."""
        task, host = result._task, result._host
        data = self._task_data(task)
        res = result._result
        if _no_log(task, res):
            res = {'censored': CENSORED, 'changed': bool(res.get('changed', False))}
        end = _now()
        key = (host.get_name(), task._uuid)
        start = self._starts.pop(key, None) if final else self._starts.get(key)
        data.update(host=host.get_name(), res=res, end=end.isoformat())
        if start is not None:
            data.update(start=start.isoformat(), duration=(end - start).total_seconds())
        return data

    @staticmethod
    def _failure_stdout(verdict, host, res, item_label=None):
        item = '' if item_label is None else ' (item=%s)' % item_label
        return '%s: [%s]%s: %s => %s' % (
            'fatal' if item_label is None else 'failed', host, item, verdict,
            _dumps(_public(res), indent=4, sort_keys=True))

    # Playbook and play.

    def v2_playbook_on_start(self, playbook):
        self._playbook = dict(playbook=playbook._file_name, playbook_uuid=str(uuid.uuid4()))
        self._play = dict(self._playbook)
        self._emit('playbook_on_start', dict(self._playbook))

    def v2_playbook_on_play_start(self, play):
        self._play = dict(self._playbook, play=play.get_name().strip(), play_uuid=play._uuid,
                          play_pattern=', '.join(play.hosts) if isinstance(play.hosts, list) else play.hosts)
        self._emit('playbook_on_play_start', dict(self._play, name=self._play['play']))

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._emit('playbook_on_task_start', dict(self._task_data(task), name=task.get_name().strip(),
                                                  is_conditional=is_conditional))

    def v2_playbook_on_handler_task_start(self, task):
        self._emit('playbook_on_handler_task_start', dict(self._task_data(task), name=task.get_name().strip(),
                                                          is_conditional=False))

    def v2_playbook_on_cleanup_task_start(self, task):
        self._emit('playbook_on_cleanup_task_start', self._task_data(task))

    def v2_playbook_on_include(self, included_file):
        self._emit('playbook_on_include', dict(self._play, included_file=included_file._filename,
                                               hosts=[h.get_name() for h in included_file._hosts]))

    def v2_playbook_on_notify(self, handler, host):
        self._emit('playbook_on_notify', dict(self._task_data(handler), host=host.get_name(),
                                              handler=handler.get_name().strip()))

    def v2_playbook_on_no_hosts_matched(self):
        self._emit('playbook_on_no_hosts_matched', dict(self._play))

    def v2_playbook_on_no_hosts_remaining(self):
        self._emit('playbook_on_no_hosts_remaining', dict(self._play))

    def v2_playbook_on_stats(self, stats):
        data = dict(self._playbook)
        for key in ('changed', 'dark', 'failures', 'ignored', 'ok', 'processed', 'rescued', 'skipped'):
            data[key] = dict(getattr(stats, key, {}))
        data['artifact_data'] = stats.custom.get('_run', {}) if hasattr(stats, 'custom') else {}
        self._emit('playbook_on_stats', data)

    # Task results.

    def v2_runner_on_start(self, host, task):
        self._starts[(host.get_name(), task._uuid)] = _now()
        self._emit('runner_on_start', dict(self._task_data(task), host=host.get_name()))

    def v2_runner_on_ok(self, result):
        self._emit('runner_on_ok', self._result_data(result))

    def v2_runner_on_failed(self, result, ignore_errors=False):
        data = self._result_data(result)
        data['ignore_errors'] = bool(ignore_errors)
        host = result._host.get_name()
        if not ignore_errors and _rescued(result._task):
            # The shape of the stats counter, as upstream's Go code expects.
            data['rescued'] = {host: 1}
        self._emit('runner_on_failed', data, self._failure_stdout('FAILED!', host, data['res']))

    def v2_runner_on_unreachable(self, result):
        data = self._result_data(result)
        data['ignore_unreachable'] = bool(getattr(result._task, 'ignore_unreachable', False))
        self._emit('runner_on_unreachable', data,
                   self._failure_stdout('UNREACHABLE!', result._host.get_name(), data['res']))

    def v2_runner_on_skipped(self, result):
        self._emit('runner_on_skipped', self._result_data(result))

    def v2_runner_item_on_ok(self, result):
        self._emit('runner_item_on_ok', self._result_data(result, final=False))

    def v2_runner_item_on_failed(self, result):
        data = self._result_data(result, final=False)
        label = None if _no_log(result._task, result._result) else result._result.get('_ansible_item_label', result._result.get('item'))
        self._emit('runner_item_on_failed', data,
                   self._failure_stdout('FAILED!', result._host.get_name(), data['res'], item_label=label))

    def v2_runner_item_on_skipped(self, result):
        self._emit('runner_item_on_skipped', self._result_data(result, final=False))

    def v2_runner_retry(self, result):
        self._emit('runner_retry', self._result_data(result, final=False))

    def v2_runner_on_async_poll(self, result):
        self._emit('runner_on_async_poll', self._result_data(result, final=False))

    def v2_runner_on_async_ok(self, result):
        self._emit('runner_on_async_ok', self._result_data(result, final=False))

    def v2_runner_on_async_failed(self, result):
        self._emit('runner_on_async_failed', self._result_data(result, final=False))
