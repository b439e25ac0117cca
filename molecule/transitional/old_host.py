#!/usr/bin/python3
"""A stand-in for the existing Katello host of the transitional scenario.

Candlepin (Java, Tomcat) and Pulp (Python from PyPI) are not packaged for
Debian and cannot run here, so this FAKE answers what the operator asks of
them: Candlepin's /candlepin/status and Pulp's /pulp/api/v3/status/, over
HTTPS on 127.0.0.1, each on a free port, with certificates of a CA of its
own. Everything else is a 404. Each request is logged to requests.log.

  old_host.py start DIR   writes DIR/ca.crt and DIR/old-host.json
                          ({"pid", "candlepin_port", "pulp_port"}) once both
                          ports listen, and returns; the server runs on,
                          detached, until SIGTERM.
"""
import datetime
import http.server
import ipaddress
import json
import os
import signal
import socket
import ssl
import sys
import threading

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ANSWERS = {
    "candlepin": {"/candlepin/status": {"result": True, "version": "4.4.14", "mode": "NORMAL"}},
    "pulp": {"/pulp/api/v3/status/": {
        "versions": [{"component": "core", "version": "3.63.0"}],
        "database_connection": {"connected": True},
        "redis_connection": {"connected": True},
        "online_workers": [{"name": "worker@old-host"}],
        "online_content_apps": [{"name": "content@old-host"}],
    }},
}


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def certificates(directory):
    """A CA and a server certificate for 127.0.0.1, as an old host's would be."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("Old host CA")).issuer_name(_name("Old host CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                       key_encipherment=False, data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name("old-host")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    with open(os.path.join(directory, "ca.crt"), "wb") as f:
        f.write(ca.public_bytes(pem))
    server = os.path.join(directory, "server.pem")
    with open(os.open(server, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
        f.write(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        f.write(cert.public_bytes(pem))
    return server


def handler(service, log):
    answers = ANSWERS[service]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            body = answers.get(self.path)
            log.write("%s GET %s %d\n" % (service, self.path, 404 if body is None else 200))
            log.flush()
            if body is None:
                self.send_error(404)
                return
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    return Handler


def serve(directory, ready):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificates(directory))
    log = open(os.path.join(directory, "requests.log"), "a", buffering=1)
    ports = {}
    for service in ANSWERS:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler(service, log))
        server.daemon_threads = True
        server.socket = context.wrap_socket(server.socket, server_side=True)
        ports[service + "_port"] = server.server_address[1]
        threading.Thread(target=server.serve_forever, daemon=True).start()
    state = dict(ports, pid=os.getpid())
    tmp = os.path.join(directory, "old-host.json.tmp")
    with open(tmp, "w") as f:
        json.dump(state, f)
    os.rename(tmp, os.path.join(directory, "old-host.json"))
    os.write(ready, b"ok")
    os.close(ready)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})


def start(directory):
    r, w = os.pipe()
    if os.fork():
        os.close(w)
        answer = os.read(r, 16)
        if answer != b"ok":
            sys.exit("old_host: the server did not start; see %s/old-host.log" % directory)
        with open(os.path.join(directory, "old-host.json")) as f:
            print(f.read())
        return
    os.close(r)
    os.setsid()
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    out = os.open(os.path.join(directory, "old-host.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(out, 1)
    os.dup2(out, 2)
    try:
        serve(directory, w)
    finally:
        os._exit(0)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "start":
        sys.exit(__doc__)
    socket.setdefaulttimeout(10)
    start(sys.argv[2])
