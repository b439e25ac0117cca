"""Lookup foreman_probe: ask the services Foreman uses outside the cluster
whether they answer, from where the operator runs, all at once.

It is the check of the transitional path: PostgreSQL, Redis, Candlepin and
Pulp may stay on the existing host, and the status must say whether they
answer. Each probe speaks just enough of the service's protocol to tell it
from something else listening on the port, and needs no credentials.
"""

import socket
import ssl
import struct
import threading
import urllib.error
import urllib.parse
import urllib.request

from ansible.errors import AnsibleError
from ansible.plugins.lookup import LookupBase

DOCUMENTATION = r"""
name: foreman_probe
short_description: Check that services outside the cluster answer
description:
  - Each term is a dict with name, kind (postgresql, redis, https or tcp), and host and port (postgresql,
    redis, tcp) or url (https); redis takes tls, https takes ca (PEM text; the system's CAs when empty).
  - postgresql sends an SSLRequest and wants S or N; redis sends PING and wants a status or error line;
    https GETs the URL, verifying the certificate, and wants a status below 500; tcp connects.
  - The probes run at once, each bounded by timeout seconds. Nothing is sent that needs credentials.
  - Returns one dict per term, in order, with name, endpoint, result (Reachable or Unreachable) and message.
options:
  _terms:
    description: The services to check.
    required: true
  timeout:
    description: Seconds each probe may take.
    type: float
    default: 3
"""

RETURN = r"""
_list:
  description: name, endpoint, result and message of each service.
  type: list
  elements: dict
"""

_SSL_REQUEST = struct.pack("!ii", 8, 80877103)


def _postgresql(term, timeout):
    with socket.create_connection((term["host"], int(term["port"])), timeout=timeout) as conn:
        conn.settimeout(timeout)
        conn.sendall(_SSL_REQUEST)
        answer = conn.recv(1)
    if answer == b"S":
        return True, "PostgreSQL answered and offers TLS"
    if answer == b"N":
        return True, "PostgreSQL answered, without TLS"
    return False, "something answered, but not as PostgreSQL (%r)" % answer[:1]


def _redis(term, timeout):
    raw = socket.create_connection((term["host"], int(term["port"])), timeout=timeout)
    try:
        conn = raw
        if term.get("tls"):
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            conn = ctx.wrap_socket(raw, server_hostname=term["host"])
        conn.settimeout(timeout)
        conn.sendall(b"PING\r\n")
        line = conn.recv(256).split(b"\r\n", 1)[0].decode("utf-8", "replace")
    finally:
        raw.close()
    if line.startswith("+") or line.startswith("-"):
        auth = " (it wants a password)" if "NOAUTH" in line else ""
        return True, "Redis answered %s%s" % (line.split(" ", 1)[0], auth)
    return False, "something answered, but not as Redis (%r)" % line[:20]


def _https(term, timeout):
    ctx = ssl.create_default_context()
    if term.get("ca"):
        ctx = ssl.create_default_context(cadata=term["ca"])
    try:
        with urllib.request.urlopen(term["url"], timeout=timeout, context=ctx) as resp:
            status = resp.status
    except urllib.error.HTTPError as err:
        status = err.code
    if status < 500:
        return True, "HTTP %d from %s" % (status, urllib.parse.urlsplit(term["url"]).path or "/")
    return False, "HTTP %d from %s" % (status, urllib.parse.urlsplit(term["url"]).path or "/")


def _tcp(term, timeout):
    with socket.create_connection((term["host"], int(term["port"])), timeout=timeout):
        pass
    return True, "a TCP connection was accepted"


_PROBES = {"postgresql": _postgresql, "redis": _redis, "https": _https, "tcp": _tcp}


def _reason(err):
    if isinstance(err, urllib.error.URLError) and err.reason is not None:
        err = err.reason
    if isinstance(err, ssl.SSLCertVerificationError):
        return "TLS: %s" % (err.verify_message or err)
    if isinstance(err, socket.timeout):
        return "no answer within the timeout"
    if isinstance(err, socket.gaierror):
        return "name not resolved: %s" % err.strerror
    if isinstance(err, OSError) and err.strerror:
        return err.strerror.lower()
    return str(err) or err.__class__.__name__


def probe(term, timeout):
    """One check: {name, endpoint, result, message}."""
    kind = term.get("kind")
    if kind not in _PROBES:
        raise AnsibleError("foreman_probe: unknown kind %r of %r" % (kind, term.get("name")))
    endpoint = term.get("url") or "%s:%s" % (term.get("host"), term.get("port"))
    try:
        ok, message = _PROBES[kind](term, timeout)
    except Exception as err:  # noqa: BLE001 - every failure is an answer
        ok, message = False, _reason(err)
    return {"name": term["name"], "endpoint": endpoint,
            "result": "Reachable" if ok else "Unreachable", "message": message}


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        timeout = float(self.get_option("timeout"))
        results = [None] * len(terms)

        def work(i, term):
            results[i] = probe(term, timeout)

        threads = [threading.Thread(target=work, args=(i, t), daemon=True) for i, t in enumerate(terms)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout * 3)
        return [r or {"name": terms[i].get("name"), "endpoint": terms[i].get("url") or terms[i].get("host"),
                      "result": "Unreachable", "message": "the check did not finish"}
                for i, r in enumerate(results)]
