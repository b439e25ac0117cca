"""Filters of the smartproxy role: the feature graph, Secret data and Jobs.

They hold the role's few pieces of logic that Jinja expresses badly; each is
pure and covered by tests/filters.yml. The Secret and Job filters are the
foreman role's, repeated so that the role stands alone (the Smart Proxy is
packaged on its own).
"""

import base64
import hashlib

DOCUMENTATION = r"""
name: smartproxy
short_description: Filters of the smartproxy role
description:
  - smartproxy_instance_name shortens a CR's name to the instance name its children are named after.
  - smartproxy_resolve_features turns the CR's features into the enabled set, dependencies included.
  - smartproxy_secret_data decodes the data of a Secret.
  - smartproxy_secret_check says what a Secret the role reads lacks.
  - smartproxy_owner_patches lists the patches that make generated Secrets owned by the CR, or not.
  - smartproxy_job_state tells whether a Job is running, complete or failed.
  - smartproxy_openssh_public_key derives the OpenSSH public key of a PEM private key.
"""


def smartproxy_instance_name(name):
    """The instance name children of the CR name are named after: the name
    itself up to 36 characters, else its first 29 and a hash, so that every
    child's name and label value stays within its limit. The foreman role
    names a Foreman's children by the same rule."""
    name = str(name)
    if len(name) <= 36:
        return name
    return name[:29] + "-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:6]


def smartproxy_resolve_features(requested, graph):
    """Resolve the CR's features through graph.

    requested is a list of feature names; graph maps each known feature to
    {gem, needs, foreman_name}. A feature turns on what it needs,
    transitively. Returns {features, gems, foreman_names, unknown}: the
    enabled features (sorted), the plugin gems they load (sorted, modules of
    the proxy itself have none), the names Foreman shows for them (sorted),
    and the requested names the graph does not know.
    """
    graph = dict(graph or {})
    unknown = sorted(set(n for n in requested or [] if n not in graph))
    enabled = set()
    queue = [n for n in requested or [] if n in graph]
    while queue:
        name = queue.pop(0)
        if name in enabled:
            continue
        enabled.add(name)
        queue.extend(graph[name].get("needs") or [])
    features = sorted(enabled)
    return {
        "features": features,
        "gems": sorted(graph[n]["gem"] for n in features if graph[n].get("gem")),
        "foreman_names": sorted(graph[n]["foreman_name"] for n in features),
        "unknown": unknown,
    }


def smartproxy_secret_data(secret):
    """The data of a Secret object, base64-decoded to text."""
    data = (secret or {}).get("data") or {}
    return {k: base64.b64decode(v).decode("utf-8") for k, v in data.items()}


def smartproxy_secret_check(found, name, keys, what):
    """A message saying what the Secret name (among found) lacks for what,
    or "" when it exists with every key. Values are never part of it."""
    by_name = {s["metadata"]["name"]: s for s in found or []}
    if name not in by_name:
        return "%s: Secret %s does not exist" % (what, name)
    have = (by_name[name].get("data") or {})
    missing = [k for k in keys if not have.get(k)]
    if missing:
        return "%s: Secret %s has no key %s" % (what, name, " or ".join(missing))
    return ""


def smartproxy_owner_patches(found, names, label, owner, owned):
    """Strategic merge patches that make the generated Secrets owned by
    owner, or not.

    Only Secrets named in names and labelled label=true (the role made them)
    are considered: one the user made is never tied to the CR. owner is the
    CR's ownerReference (its uid empty when the role runs outside the
    operator: then nothing is patched); owned says whether the Secrets
    should be garbage-collected with the CR. Returns one partial Secret per
    Secret that differs.
    """
    if not owner or not owner.get("uid"):
        return []
    wanted = set(names)
    out = []
    for secret in found or []:
        meta = secret["metadata"]
        if meta["name"] not in wanted or (meta.get("labels") or {}).get(label) != "true":
            continue
        has = any(r.get("uid") == owner["uid"] for r in meta.get("ownerReferences") or [])
        if owned == has:
            continue
        ref = dict(owner) if owned else {"uid": owner["uid"], "$patch": "delete"}
        out.append({"apiVersion": "v1", "kind": "Secret",
                    "metadata": {"name": meta["name"], "ownerReferences": [ref]}})
    return out


def smartproxy_job_state(job):
    """complete, failed or running, from a Job's conditions; absent for no Job."""
    if not job:
        return "absent"
    for cond in (job.get("status") or {}).get("conditions") or []:
        if cond.get("status") == "True" and cond.get("type") in ("Complete", "Failed"):
            return cond["type"].lower()
    return "running"


def smartproxy_openssh_public_key(private_pem, comment=""):
    """The OpenSSH public key (ssh-rsa AAAA... comment) of a PEM private key."""
    # Imported here: only the run that generates a key pair needs it.
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(private_pem.encode("utf-8"), password=None)
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    line = public.decode("ascii")
    return (line + " " + comment) if comment else line


class FilterModule(object):
    """Filters of the smartproxy role."""

    def filters(self):
        return {
            "smartproxy_instance_name": smartproxy_instance_name,
            "smartproxy_resolve_features": smartproxy_resolve_features,
            "smartproxy_secret_data": smartproxy_secret_data,
            "smartproxy_secret_check": smartproxy_secret_check,
            "smartproxy_owner_patches": smartproxy_owner_patches,
            "smartproxy_job_state": smartproxy_job_state,
            "smartproxy_openssh_public_key": smartproxy_openssh_public_key,
        }
