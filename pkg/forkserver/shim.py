
# The Python shim: an ansible_python_interpreter that asks the fork server
# (FOREMAN_FORKSERVER_SOCKET) to run the module in a child that already has
# Ansible and the kubernetes client imported, and exits as that child did.
# Without the server, or for python options it does not handle, it becomes
# the real interpreter (exec), so a module always runs. See doc.go.
import array
import json
import os
import signal
import socket
import struct
import sys

PYTHON = sys.executable


def become_python():
    os.execv(PYTHON, [PYTHON] + sys.argv[1:])


def main():
    path = os.environ.get('FOREMAN_FORKSERVER_SOCKET', '')
    argv = sys.argv[1:] or ['-']
    if not path or (argv[0].startswith('-') and argv[0] != '-'):
        become_python()
    try:
        cwd = os.getcwd()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(path)
    except OSError:
        become_python()
    req = json.dumps({'argv': argv, 'env': dict(os.environ), 'cwd': cwd,
                      'pgid': os.getpgrp(), 'fds': 3}).encode('utf-8', 'surrogatepass')
    fds = array.array('i', [0, 1, 2])
    try:
        sock.sendmsg([struct.pack('>I', len(req)) + req],
                     [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)])
        replies = sock.makefile('rb')
        first = json.loads(replies.readline() or b'{}')
    except (OSError, ValueError):
        first = {}
    if 'pid' not in first:
        # Nothing was forked: the request failed as a whole.
        become_python()
    child = first['pid']

    def forward(sig, _frame):
        try:
            os.kill(child, sig)
        except OSError:
            pass

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(sig, forward)
    while True:
        try:
            line = replies.readline()
            break
        except InterruptedError:
            continue
    end = json.loads(line) if line else {}
    if 'exit' in end:
        os._exit(end['exit'] & 0xFF)
    if 'signal' in end:
        signal.signal(end['signal'], signal.SIG_DFL)
        os.kill(os.getpid(), end['signal'])
    sys.stderr.write('foreman-operator python shim: the fork server ended before the module did\n')
    os._exit(1)


main()
