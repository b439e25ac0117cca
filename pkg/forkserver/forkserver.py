# The fork server: one Python process that imports Ansible (and the
# kubernetes client its modules use) once, then forks a child for each
# ansible-playbook run and each Python module a run executes. See doc.go.
#
# Usage: python3 forkserver.py SOCKET PRELOAD...
# Protocol, on a Unix stream socket, per connection:
#   request:  4-byte big-endian length, then that many bytes of JSON
#             {"argv": [...], "env": {...}, "cwd": "...", "pgid": N,
#              "fds": K}; the first sendmsg carries K descriptors
#             (SCM_RIGHTS) that become the child's 0, 1, 2, 3...
#   replies:  JSON lines: {"pid": N} once forked, then {"exit": code} or
#             {"signal": n} when the child ends, or {"error": "..."}.
# argv[0] is the Python script to run as __main__; "-" reads it from
# stdin, as "python3" does when the module source is piped to it.
# pgid 0 puts the child in a new process group of its own; otherwise it
# joins group pgid (a module joins its run's group).
import atexit
import errno
import gc
import importlib
import json
import os
import runpy
import selectors
import signal
import socket
import struct
import sys
import tempfile
import types

MAX_REQUEST = 4 << 20
MAX_FDS = 8
PR_SET_PDEATHSIG = 1


def set_pdeathsig(sig):
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    except (OSError, AttributeError):
        pass


def preload(names):
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # a hint only: the child imports what it needs
            pass


def recv_request(conn):
    """Reads one request and its descriptors; returns (dict, [fd])."""
    fds = []
    buf = b''
    need = 4
    while len(buf) < need:
        data, anc, _flags, _addr = conn.recvmsg(65536, socket.CMSG_SPACE(MAX_FDS * 4))
        for level, typ, payload in anc:
            if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                n = len(payload) - len(payload) % 4
                fds.extend(struct.unpack('%di' % (n // 4), payload[:n]))
        if not data:
            raise EOFError('connection closed before the whole request')
        buf += data
        if need == 4 and len(buf) >= 4:
            size = struct.unpack('>I', buf[:4])[0]
            if size > MAX_REQUEST:
                raise ValueError('request of %d bytes is too large' % size)
            need = 4 + size
    return json.loads(buf[4:need].decode('utf-8')), fds


def close_all(fds):
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


def send(conn, obj):
    try:
        conn.sendall((json.dumps(obj) + '\n').encode('utf-8'))
    except OSError:
        pass  # the client went away; the child goes on, as a run would


class Server:
    def __init__(self, path):
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        self.listener.listen(64)
        self.sel = selectors.DefaultSelector()
        self.children = {}  # pid -> (conn, pgid)
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        signal.set_wakeup_fd(self.wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.signal(signal.SIGTERM, self.terminate)
        self.sel.register(self.listener, selectors.EVENT_READ, 'accept')
        self.sel.register(self.wake_r, selectors.EVENT_READ, 'wake')

    def terminate(self, *_):
        # The operator is gone or stopping: its runs go with it.
        for _conn, pgid in list(self.children.values()):
            try:
                os.killpg(pgid, signal.SIGKILL)
            except OSError:
                pass
        os._exit(0)

    def serve(self):
        while True:
            for key, _ in self.sel.select():
                if key.data == 'accept':
                    self.accept()
                else:
                    try:
                        os.read(self.wake_r, 4096)
                    except BlockingIOError:
                        pass
                    self.reap()

    def reap(self):
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            conn, _pgid = self.children.pop(pid, (None, 0))
            if conn is None:
                continue
            if os.WIFSIGNALED(status):
                send(conn, {'signal': os.WTERMSIG(status)})
            else:
                send(conn, {'exit': os.waitstatus_to_exitcode(status)})
            conn.close()

    def accept(self):
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        conn.setblocking(True)
        conn.settimeout(10)
        fds = []
        try:
            req, fds = recv_request(conn)
            if len(fds) != req.get('fds', -1) or len(fds) < 3:
                raise ValueError('expected %s descriptors, got %d' % (req.get('fds'), len(fds)))
            pid = self.fork(req, fds)
        except Exception as e:  # a bad request fails that request only
            close_all(fds)
            send(conn, {'error': '%s: %s' % (type(e).__name__, e)})
            conn.close()
            return
        # No finally above: the child leaves fork() by SystemExit, and must
        # not close descriptor numbers it may have reused.
        close_all(fds)
        self.children[pid] = (conn, req.get('pgid') or pid)
        send(conn, {'pid': pid})

    def fork(self, req, fds):
        pgid = int(req.get('pgid') or 0)
        pid = os.fork()
        if pid == 0:
            self.enter_child(req, fds, pgid)
            run_child(req)  # raises SystemExit: the interpreter exits as usual
        # Both sides set the group, so it exists before the client hears the
        # pid (it may signal the group at once).
        try:
            os.setpgid(pid, pgid or pid)
        except OSError as e:
            # ESRCH: it has exited; EPERM: group pgid is gone, and the child
            # exits 125 by itself.
            if e.errno not in (errno.EACCES, errno.ESRCH, errno.EPERM):
                raise
        return pid

    def enter_child(self, req, fds, pgid):
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        try:
            os.setpgid(0, pgid)
        except OSError:
            os._exit(125)  # the run's group is gone: the run was stopped
        set_pdeathsig(signal.SIGKILL)
        self.sel.close()
        self.listener.close()
        for conn, _ in self.children.values():
            conn.close()
        os.close(self.wake_r)
        os.close(self.wake_w)
        # Descriptors land on 0, 1, 2, 3...: first move them out of the way.
        high = [os.dup(fd) for fd in fds]
        for fd in fds:
            os.close(fd)
        for i, fd in enumerate(high):
            os.dup2(fd, i)
            os.close(fd)
        os.chdir(req['cwd'])
        os.environ.clear()
        os.environ.update(req['env'])


def fresh_process_state():
    """Undoes the state the preloaded imports created for the server
    process alone: Ansible's per-process local temp dir, and values the
    kubernetes client read from the environment at import."""
    C = sys.modules.get('ansible.constants')
    if C is not None:
        from ansible.utils.path import cleanup_tmp_file
        atexit.unregister(cleanup_tmp_file)  # the server's dir is not ours
        parent = os.path.dirname(C.DEFAULT_LOCAL_TMP)
        C.DEFAULT_LOCAL_TMP = tempfile.mkdtemp(prefix='ansible-local-%d' % os.getpid(), dir=parent)
        atexit.register(cleanup_tmp_file, C.DEFAULT_LOCAL_TMP, warn=True)
    kc = sys.modules.get('kubernetes.config.kube_config')
    if kc is not None and hasattr(kc, 'KUBE_CONFIG_DEFAULT_LOCATION'):
        kc.KUBE_CONFIG_DEFAULT_LOCATION = os.environ.get('KUBECONFIG', '~/.kube/config')


def run_child(req):
    fresh_process_state()
    argv = list(req['argv'])
    # The preloaded objects stay frozen: collecting them would write to,
    # and so copy, the pages the child shares with the server.
    if argv[0] == '-':
        sys.argv = [''] + argv[1:]
        sys.path.insert(0, '')
        code = sys.stdin.buffer.read()
        main_module = types.ModuleType('__main__')
        sys.modules['__main__'] = main_module
        exec(compile(code, '<stdin>', 'exec'), main_module.__dict__)
    else:
        sys.argv = argv
        sys.path.insert(0, os.path.dirname(os.path.realpath(argv[0])))
        runpy.run_path(argv[0], run_name='__main__')
    raise SystemExit(0)


def main():
    path = sys.argv[1]
    # Like a fresh "python3 script": this file's directory is not on the path.
    if sys.path and os.path.realpath(sys.path[0]) == os.path.dirname(os.path.realpath(__file__)):
        sys.path.pop(0)
    set_pdeathsig(signal.SIGTERM)
    preload(sys.argv[2:])
    server = Server(path)
    gc.collect()
    gc.freeze()  # children share the preloaded objects' pages
    sys.stdout.write('ready\n')
    sys.stdout.flush()
    server.serve()


if __name__ == '__main__':
    main()
