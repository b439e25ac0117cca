"""Filters of the foreman role: the plugin graph, version order and Secret data.

They hold the role's few pieces of logic that Jinja expresses badly; each is
pure and covered by tests/filters.yml.
"""

import base64

DOCUMENTATION = r"""
name: foreman
short_description: Filters of the foreman role
description:
  - foreman_resolve_plugins turns the CR's plugins map into the enabled set, dependencies included.
  - foreman_version_compare orders Foreman release streams (X.Y, nightly last).
  - foreman_secret_data decodes the data of a Secret.
  - foreman_secret_values picks, for each Secret the role generates, the data it has in the cluster or else the candidate.
  - foreman_owner_patches lists the patches that make generated Secrets owned by the CR, or not.
  - foreman_job_state tells whether a Job is running, complete or failed; foreman_finished_jobs keeps those that are done.
  - foreman_recorded_version is the newest version the web Deployment and the migration Jobs record.
"""


def foreman_resolve_plugins(requested, graph):
    """Resolve the CR's plugins map through graph.

    requested maps plugin names to booleans; graph maps each known plugin to
    {gem, needs, internal}. A plugin set to true turns on what it needs,
    transitively; a needed plugin set to false is a conflict, reported with
    the chain that needs it. Returns {plugins, gems, conflicts}: the enabled
    plugins users can name (sorted), the gem names of every enabled plugin
    for FOREMAN_ENABLED_PLUGINS (sorted), and one message per conflict.
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
    return {
        "plugins": [n for n in enabled if not graph[n].get("internal")],
        "gems": sorted(graph[n]["gem"] for n in enabled),
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


def foreman_owner_patches(found, names, label, owner, owned):
    """Strategic merge patches that make the generated Secrets owned by
    owner, or not.

    Only Secrets named in names and labelled label=true (the role made them)
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
        out.append({"apiVersion": "v1", "kind": "Secret",
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
        }
