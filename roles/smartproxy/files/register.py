#!/usr/bin/python3
"""Register a Smart Proxy in Foreman through its API, signed with OAuth.

The registration Job of roles/smartproxy runs this in the proxy's own image
(python3 is there for the ansible feature); it needs only the standard
library. Foreman's API takes two-legged OAuth 1.0a (HMAC-SHA1) with the
consumer key and secret of its settings, as foreman-installer registers
proxies; theforeman.foreman's modules need a user's password and the apypie
library instead.

It creates the proxy, or updates the one with the same name or URL, has
Foreman read its features again, and checks that Foreman sees every feature
asked for. Foreman answers 422 while it cannot reach the proxy (a pod still
starting): the script tries again until REGISTER_TIMEOUT. Exit status 0 means
registered with every feature.

Environment: FOREMAN_URL, PROXY_NAME, PROXY_URL, PROXY_FEATURES (Foreman's
feature names, comma-separated), FOREMAN_OAUTH_CONSUMER_KEY,
FOREMAN_OAUTH_CONSUMER_SECRET, and optionally FOREMAN_CA_FILE, FOREMAN_USER
(default admin), REGISTER_TIMEOUT and REGISTER_INTERVAL (seconds).
"""

import base64
import hashlib
import hmac
import json
import os
import secrets
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


class APIError(Exception):
    """An answer of Foreman's API other than 2xx."""

    def __init__(self, method, path, status, body):
        super().__init__("%s %s: HTTP %s: %s" % (method, path, status, body[:500]))
        self.status = status


def quote(s):
    """Percent-encoding as OAuth 1.0a (RFC 5849, 3.6) wants it."""
    return urllib.parse.quote(str(s), safe="~-._")


def oauth_header(method, url, key, secret, now=None, nonce=None):
    """The Authorization header of a two-legged OAuth 1.0a request."""
    parts = urllib.parse.urlsplit(url)
    base_url = "%s://%s%s" % (parts.scheme.lower(), parts.netloc.lower(), parts.path)
    params = {
        "oauth_consumer_key": key,
        "oauth_nonce": nonce or secrets.token_hex(16),
        "oauth_signature_method": "HMAC-SHA1",
        "oauth_timestamp": str(int(now if now is not None else time.time())),
        "oauth_version": "1.0",
    }
    pairs = [(quote(k), quote(v)) for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)]
    pairs += [(quote(k), quote(v)) for k, v in params.items()]
    normalized = "&".join("%s=%s" % kv for kv in sorted(pairs))
    base = "&".join([method.upper(), quote(base_url), quote(normalized)])
    digest = hmac.new((quote(secret) + "&").encode(), base.encode(), hashlib.sha1).digest()
    params["oauth_signature"] = base64.b64encode(digest).decode()
    return "OAuth " + ", ".join('%s="%s"' % (k, quote(v)) for k, v in sorted(params.items()))


class Foreman:
    """Foreman's API v2, every request signed."""

    def __init__(self, url, key, secret, user, cafile):
        self.url = url.rstrip("/")
        self.key, self.secret, self.user = key, secret, user
        self.context = ssl.create_default_context(cafile=cafile or None)

    def call(self, method, path, query=None, body=None):
        url = self.url + path
        if query:
            url += "?" + urllib.parse.urlencode(query, quote_via=urllib.parse.quote)
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Accept", "application/json;version=2")
        req.add_header("Content-Type", "application/json")
        req.add_header("FOREMAN-USER", self.user)
        req.add_header("Authorization", oauth_header(method, url, self.key, self.secret))
        try:
            with urllib.request.urlopen(req, context=self.context, timeout=60) as resp:
                text = resp.read().decode() or "{}"
        except urllib.error.HTTPError as e:
            raise APIError(method, path, e.code, e.read().decode(errors="replace")) from None
        return json.loads(text)


def register(api, name, proxy_url, features):
    """Create or update the proxy, refresh its features and check them.

    Returns the features Foreman sees; raises APIError, or ValueError when
    a feature asked for is missing.
    """
    found = api.call("GET", "/api/v2/smart_proxies",
                     {"search": 'name = "%s" or url = "%s"' % (name, proxy_url), "per_page": 100})
    results = found.get("results") or []
    body = {"smart_proxy": {"name": name, "url": proxy_url}}
    if results:
        proxy_id = results[0]["id"]
        api.call("PUT", "/api/v2/smart_proxies/%s" % proxy_id, body=body)
        print("Updated Smart Proxy %s (id %s) at %s" % (name, proxy_id, proxy_url))
        api.call("PUT", "/api/v2/smart_proxies/%s/refresh" % proxy_id)
    else:
        proxy_id = api.call("POST", "/api/v2/smart_proxies", body=body)["id"]
        print("Created Smart Proxy %s (id %s) at %s" % (name, proxy_id, proxy_url))
    proxy = api.call("GET", "/api/v2/smart_proxies/%s" % proxy_id)
    have = sorted(f.get("name", "") for f in proxy.get("features") or [])
    missing = [f for f in features if f not in have]
    if missing:
        raise ValueError("Foreman sees features %s of Smart Proxy %s, not %s"
                         % (", ".join(have) or "none", name, ", ".join(missing)))
    return have


def main(env):
    required = ["FOREMAN_URL", "PROXY_NAME", "PROXY_URL", "FOREMAN_OAUTH_CONSUMER_KEY", "FOREMAN_OAUTH_CONSUMER_SECRET"]
    missing = [k for k in required if not env.get(k)]
    if missing:
        print("register: missing environment: %s" % ", ".join(missing), file=sys.stderr)
        return 2
    api = Foreman(env["FOREMAN_URL"], env["FOREMAN_OAUTH_CONSUMER_KEY"], env["FOREMAN_OAUTH_CONSUMER_SECRET"],
                  env.get("FOREMAN_USER") or "admin", env.get("FOREMAN_CA_FILE"))
    features = sorted(f for f in env.get("PROXY_FEATURES", "").split(",") if f)
    deadline = time.monotonic() + float(env.get("REGISTER_TIMEOUT") or 600)
    interval = float(env.get("REGISTER_INTERVAL") or 10)
    while True:
        try:
            have = register(api, env["PROXY_NAME"], env["PROXY_URL"], features)
            print("Registered Smart Proxy %s in %s with features %s" % (env["PROXY_NAME"], env["FOREMAN_URL"], ", ".join(have)))
            return 0
        except (APIError, ValueError, OSError) as e:
            # 401 and 403: wrong credentials, which waiting does not fix.
            if isinstance(e, APIError) and e.status in (401, 403):
                print("register: %s" % e, file=sys.stderr)
                return 1
            if time.monotonic() + interval > deadline:
                print("register: giving up: %s" % e, file=sys.stderr)
                return 1
            print("register: %s; trying again in %d s" % (e, interval), file=sys.stderr)
            time.sleep(interval)


if __name__ == "__main__":
    sys.exit(main(dict(os.environ)))
