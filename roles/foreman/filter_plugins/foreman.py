"""Filters of the foreman role: the plugin graph, version order and Secret data.

They hold the role's few pieces of logic that Jinja expresses badly; each is
pure and covered by tests/filters.yml.
"""

import base64
import datetime
import hashlib
import json

try:
    import tomllib
except ImportError:  # pragma: no cover - Python before 3.11
    tomllib = None

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509.oid import ExtensionOID
except ImportError:  # pragma: no cover - python3-cryptography comes with ansible
    x509 = None

DOCUMENTATION = r"""
name: foreman
short_description: Filters of the foreman role
description:
  - foreman_resolve_plugins turns the CR's plugins map into the enabled set, dependencies included, and the services they need.
  - foreman_version_compare orders Foreman release streams (X.Y, nightly last).
  - foreman_secret_data decodes the data of a Secret.
  - foreman_secret_values picks, for each Secret the role generates, the data it has in the cluster or else the candidate.
  - foreman_owner_patches lists the patches that make generated Secrets owned by the CR, or not.
  - foreman_job_state tells whether a Job is running, complete or failed; foreman_finished_jobs keeps those that are done.
  - foreman_recorded_version is the newest version the web Deployment and the migration Jobs record.
  - foreman_by_component keeps the objects labelled with one app.kubernetes.io/component.
  - foreman_certificates_to_issue says which certificates must be issued (again), and why.
  - foreman_ca_problems says what keeps a CA certificate and key from issuing certificates.
  - foreman_pick_secret decodes the data of one Secret of a list, by name.
  - foreman_service_dns_names lists the DNS names of a Service inside the cluster.
  - foreman_certificate_checksums fingerprints the certificates of a list of Secrets.
  - foreman_dynaconf_env writes typed settings as the environment strings Dynaconf reads back with those types.
"""


def foreman_resolve_plugins(requested, graph):
    """Resolve the CR's plugins map through graph.

    requested maps plugin names to booleans; graph maps each known plugin to
    {gem, needs, conflicts, services, internal}. A plugin set to true turns
    on what it needs, transitively; a needed plugin set to false is a
    conflict, reported with the chain that needs it, and so are two enabled
    plugins one of which names the other in its conflicts. Returns {plugins,
    gems, services, conflicts}: the enabled plugins users can name (sorted),
    the gem names of every enabled plugin for FOREMAN_ENABLED_PLUGINS
    (sorted), the backing services the enabled plugins need (sorted), and
    one message per conflict.
    """
    requested = dict(requested or {})
    graph = dict(graph or {})
    conflicts = []
    for name in sorted(requested):
        if name not in graph or graph[name].get("internal"):
            conflicts.append("plugins: unknown plugin %s" % name)

    why = {}  # enabled plugin -> the plugin that turned it on (None: asked for)
    queue = [n for n in sorted(requested)
             if requested[n] is True and n in graph and not graph[n].get("internal")]
    for name in queue:
        why[name] = None
    while queue:
        name = queue.pop(0)
        for need in graph[name].get("needs") or []:
            if requested.get(need) is False:
                chain = [need, name]
                while why.get(chain[-1]) is not None:
                    chain.append(why[chain[-1]])
                chain.reverse()
                steps = ", ".join("%s needs %s" % (a, b) for a, b in zip(chain, chain[1:]))
                message = "plugins: %s, which is set to false" % steps
                if message not in conflicts:
                    conflicts.append(message)
                continue
            if need not in why:
                why[need] = name
                queue.append(need)

    enabled = sorted(why)
    for name in enabled:
        for other in graph[name].get("conflicts") or []:
            if other in why and other != name:
                pair = sorted([name, other])
                message = "plugins: %s conflicts with %s; turn one of them off" % (pair[0], pair[1])
                if message not in conflicts:
                    conflicts.append(message)
    return {
        "plugins": [n for n in enabled if not graph[n].get("internal")],
        "gems": sorted(graph[n]["gem"] for n in enabled),
        "services": sorted({s for n in enabled for s in graph[n].get("services") or []}),
        "conflicts": conflicts,
    }


def _version_key(version):
    version = str(version)
    if version == "nightly":
        return (1, ())
    try:
        return (0, tuple(int(p) for p in version.split(".")))
    except ValueError:
        raise ValueError("not a Foreman version (X.Y or nightly): %r" % version)


def foreman_version_compare(a, b):
    """-1, 0 or 1 as Foreman version a is older than, the same as or newer than b."""
    ka, kb = _version_key(a), _version_key(b)
    return (ka > kb) - (ka < kb)


def foreman_max_version(versions):
    """The newest of versions (X.Y or nightly), or None when there are none."""
    versions = [str(v) for v in versions or [] if v not in (None, "")]
    if not versions:
        return None
    return max(versions, key=_version_key)


def foreman_secret_data(secret):
    """The data of a Secret object, base64-decoded to text."""
    data = (secret or {}).get("data") or {}
    return {k: base64.b64decode(v).decode("utf-8") for k, v in data.items()}


def foreman_secret_values(found, names, candidates):
    """Choose the data of each generated Secret.

    found is the list of Secrets in the namespace; names maps what each
    generated Secret is for (admin, oauth, ...) to its name; candidates maps
    the same keys to freshly drawn data. An existing Secret wins, whole:
    nothing is regenerated, and a Secret the user created first is used as
    it is. Returns {data, missing, problems}: the data per key, the keys
    whose Secret does not exist yet, and one message per existing Secret
    that lacks a key the candidate has (never a value).
    """
    by_name = {s["metadata"]["name"]: s for s in found or []}
    values, missing, problems = {}, [], []
    for key in sorted(names):
        name = names[key]
        if name not in by_name:
            values[key] = dict(candidates[key])
            missing.append(key)
            continue
        data = foreman_secret_data(by_name[name])
        for want in sorted(candidates[key]):
            if not data.get(want):
                problems.append("Secret %s has no key %s" % (name, want))
        values[key] = data
    return {"data": values, "missing": missing, "problems": problems}


def foreman_owner_patches(found, names, label, owner, owned, kind="Secret"):
    """Strategic merge patches that make the generated Secrets (or other
    objects of kind, such as PersistentVolumeClaims) owned by owner, or not.

    Only objects named in names and labelled label=true (the role made them)
    are considered: one the user made is never tied to the CR. owner is the
    CR's ownerReference (its uid empty when the role runs outside the
    operator: then nothing is patched); owned says whether the Secrets should
    be garbage-collected with the CR. Other owners are kept: ownerReferences
    merge by uid. Returns one partial Secret per Secret that differs.
    """
    if not owner or not owner.get("uid"):
        return []
    wanted = set(names.values())
    out = []
    for secret in found or []:
        meta = secret["metadata"]
        if meta["name"] not in wanted or (meta.get("labels") or {}).get(label) != "true":
            continue
        has = any(r.get("uid") == owner["uid"] for r in meta.get("ownerReferences") or [])
        if owned == has:
            continue
        ref = dict(owner) if owned else {"uid": owner["uid"], "$patch": "delete"}
        out.append({"apiVersion": "v1", "kind": kind,
                    "metadata": {"name": meta["name"], "ownerReferences": [ref]}})
    return out


def foreman_job_state(job):
    """complete, failed or running, from a Job's conditions; absent for no Job."""
    if not job:
        return "absent"
    for cond in (job.get("status") or {}).get("conditions") or []:
        if cond.get("status") == "True" and cond.get("type") in ("Complete", "Failed"):
            return cond["type"].lower()
    return "running"


def foreman_finished_jobs(jobs):
    """The Jobs that completed or failed."""
    return [j for j in jobs or [] if foreman_job_state(j) in ("complete", "failed")]


def foreman_by_component(objects, component):
    """The objects labelled app.kubernetes.io/component=component."""
    return [o for o in objects or []
            if ((o.get("metadata") or {}).get("labels") or {}).get("app.kubernetes.io/component") == component]


def foreman_recorded_version(deployments, jobs, key):
    """The newest version recorded by the web Deployment (annotation key) and
    by the migration Jobs that did not fail (label key), or "" for none."""
    versions = []
    for d in deployments or []:
        versions.append(((d.get("metadata") or {}).get("annotations") or {}).get(key))
    for j in jobs or []:
        if foreman_job_state(j) != "failed":
            versions.append(((j.get("metadata") or {}).get("labels") or {}).get(key))
    return foreman_max_version(versions) or ""


def foreman_pick_secret(name, found):
    """The decoded data of the Secret called name among found, or {}."""
    for secret in found or []:
        if secret["metadata"]["name"] == name:
            return foreman_secret_data(secret)
    return {}


def foreman_certificate_checksums(wanted, found):
    """{purpose: sha256 of tls.crt} of the wanted certificates' Secrets
    among found; a missing one hashes the empty string."""
    out = {}
    for want in wanted or []:
        crt = foreman_pick_secret(want["secret"], found).get("tls.crt", "")
        out[want["purpose"]] = hashlib.sha256(crt.encode("utf-8")).hexdigest()
    return out


def foreman_service_dns_names(service, namespace):
    """The DNS names a Service answers to inside the cluster."""
    return [service, "%s.%s" % (service, namespace), "%s.%s.svc" % (service, namespace),
            "%s.%s.svc.cluster.local" % (service, namespace)]


def _dynaconf_reads_as(value):
    """What Dynaconf reads an environment value back as: it parses the TOML
    of key=<value> and keeps the string when that fails
    (dynaconf/utils/parse_conf.py)."""
    if tomllib is None:  # pragma: no cover - Python before 3.11
        return value
    try:
        return tomllib.loads("key=" + value)["key"]
    except (tomllib.TOMLDecodeError, ValueError):
        return value


def foreman_dynaconf_env(settings):
    """{name: string} of typed settings, for Dynaconf to read from the
    environment with their types: booleans as true/false, numbers as
    numbers, lists as arrays, mappings as @json, None left out. A string
    stays as it is, and is read as a number when it is one (Ansible hands
    templated numbers over as strings); one TOML would read as a boolean,
    an array, a table or a date is quoted, so that it stays a string."""
    out = {}
    for name, value in (settings or {}).items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif isinstance(value, (int, float)):
            out[name] = str(value)
        elif isinstance(value, dict):
            out[name] = "@json " + json.dumps(value)
        elif isinstance(value, (list, tuple)):
            out[name] = json.dumps(list(value))
        else:
            value = str(value)
            read = _dynaconf_reads_as(value)
            out[name] = value if isinstance(read, (str, int, float)) and not isinstance(read, bool) else json.dumps(value)
    return out


def _load_certificate(pem):
    if x509 is None:
        raise ValueError("python3-cryptography is needed to read certificates")
    return x509.load_pem_x509_certificate(pem.encode("utf-8") if isinstance(pem, str) else pem)


def _dns_names(cert):
    try:
        ext = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    except x509.ExtensionNotFound:
        return []
    return sorted(ext.value.get_values_for_type(x509.DNSName))


def _not_after(cert):
    value = getattr(cert, "not_valid_after_utc", None)
    if value is None:
        value = cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)
    return value


def _signed_by(cert, ca):
    """Whether ca's key signed cert (RSA or EC, the kinds the role makes)."""
    if cert.issuer != ca.subject:
        return False
    try:
        from cryptography.hazmat.primitives.asymmetric import ec, padding
        key = ca.public_key()
        if hasattr(key, "curve"):
            key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
        else:
            key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), cert.signature_hash_algorithm)
    except Exception:  # noqa: BLE001 - any failure means "not signed by ca"
        return False
    return True


def foreman_certificates_to_issue(found, wanted, ca_pem, now, renew_days):
    """Which of the wanted certificates must be issued, and why.

    found is the list of Secrets in the namespace; wanted is a list of
    {secret, common_name, dns_names}; ca_pem is the issuing CA's
    certificate; now is the time as seconds since the epoch (UTC) and
    renew_days how long before it expires a certificate is issued again. A
    certificate is issued when its Secret is missing or unreadable, was not
    signed by this CA, names other DNS names than wanted, or expires within
    renew_days. now None means the current time. Returns the wanted entries
    to issue, each with a reason.
    """
    ca = _load_certificate(ca_pem)
    by_name = {s["metadata"]["name"]: s for s in found or []}
    if now is None:
        now = datetime.datetime.now(tz=datetime.timezone.utc)
    else:
        now = datetime.datetime.fromtimestamp(float(now), tz=datetime.timezone.utc)
    out = []
    for want in wanted or []:
        secret = by_name.get(want["secret"])
        reason = None
        if secret is None:
            reason = "missing"
        else:
            data = foreman_secret_data(secret)
            try:
                cert = _load_certificate(data.get("tls.crt", ""))
            except ValueError:
                cert = None
            if cert is None or not data.get("tls.key"):
                reason = "unreadable"
            elif not _signed_by(cert, ca):
                reason = "issued by another CA"
            elif _dns_names(cert) != sorted(set(want["dns_names"])):
                reason = "DNS names changed"
            elif _not_after(cert) - now < datetime.timedelta(days=int(renew_days)):
                reason = "expires within %d days" % int(renew_days)
        if reason:
            entry = dict(want)
            entry["reason"] = reason
            out.append(entry)
    return out


def foreman_ca_problems(cert_pem, key_pem):
    """What keeps cert_pem and key_pem from issuing certificates: [] when
    the certificate is a CA and the key is its own."""
    if not cert_pem or not key_pem:
        return ["it needs the CA certificate in tls.crt and its key in tls.key"]
    try:
        cert = _load_certificate(cert_pem)
    except ValueError:
        return ["tls.crt is not a PEM certificate"]
    try:
        key = serialization.load_pem_private_key(key_pem.encode("utf-8"), password=None)
    except (ValueError, TypeError):
        return ["tls.key is not an unencrypted PEM private key"]
    problems = []
    try:
        is_ca = cert.extensions.get_extension_for_oid(ExtensionOID.BASIC_CONSTRAINTS).value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    if not is_ca:
        problems.append("tls.crt is not a CA certificate (basicConstraints CA:TRUE)")
    pub = serialization.PublicFormat.SubjectPublicKeyInfo
    enc = serialization.Encoding.PEM
    if key.public_key().public_bytes(enc, pub) != cert.public_key().public_bytes(enc, pub):
        problems.append("tls.key is not the key of tls.crt")
    return problems


class FilterModule(object):
    """Filters of the foreman role."""

    def filters(self):
        return {
            "foreman_resolve_plugins": foreman_resolve_plugins,
            "foreman_version_compare": foreman_version_compare,
            "foreman_max_version": foreman_max_version,
            "foreman_secret_data": foreman_secret_data,
            "foreman_secret_values": foreman_secret_values,
            "foreman_owner_patches": foreman_owner_patches,
            "foreman_job_state": foreman_job_state,
            "foreman_finished_jobs": foreman_finished_jobs,
            "foreman_recorded_version": foreman_recorded_version,
            "foreman_by_component": foreman_by_component,
            "foreman_certificates_to_issue": foreman_certificates_to_issue,
            "foreman_ca_problems": foreman_ca_problems,
            "foreman_pick_secret": foreman_pick_secret,
            "foreman_service_dns_names": foreman_service_dns_names,
            "foreman_certificate_checksums": foreman_certificate_checksums,
            "foreman_dynaconf_env": foreman_dynaconf_env,
        }
