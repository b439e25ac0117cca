"""Filters of the Molecule scenarios' shared playbooks (molecule/shared)."""

DOCUMENTATION = r"""
name: foreman_molecule
short_description: Filters of the Foreman operator's Molecule scenarios
description:
  - foreman_molecule_not_ready lists the custom resources that are not Ready for their generation, with why.
  - foreman_molecule_owned_by keeps the objects an object owns (ownerReferences).
  - foreman_molecule_labeled keeps the objects with a label of a value.
  - foreman_molecule_by_name makes a list of named items (status components, checks) a dict by name.
  - foreman_molecule_item_problems lists, for named items (status components, checks), those missing or not as wanted.
  - foreman_molecule_uids maps objects' names to their UIDs, and nothing else of them.
"""


def foreman_molecule_not_ready(resources):
    """One sentence per resource whose Ready condition is not True for its current generation."""
    out = []
    for r in resources or []:
        meta = r.get("metadata") or {}
        conds = {c.get("type"): c for c in (r.get("status") or {}).get("conditions") or []}
        ready = conds.get("Ready")
        what = f"{r.get('kind')} {meta.get('name')} (generation {meta.get('generation')})"
        if ready is None:
            out.append(f"{what}: no Ready condition yet")
        elif ready.get("status") != "True" or ready.get("observedGeneration") != meta.get("generation"):
            failure = conds.get("Failure") or {}
            detail = f"; Failure: {failure.get('message')}" if failure.get("status") == "True" else ""
            out.append(f"{what}: Ready {ready.get('status')} for generation {ready.get('observedGeneration')}: "
                       f"{ready.get('reason')}: {ready.get('message')}{detail}")
    return out


def foreman_molecule_owned_by(objects, owner):
    """The objects that have owner (an object) among their ownerReferences."""
    uid = ((owner or {}).get("metadata") or {}).get("uid")
    return [o for o in objects or [] if any(r.get("uid") == uid for r in (o.get("metadata") or {}).get("ownerReferences") or [])]


def foreman_molecule_labeled(objects, key, value):
    """The objects whose label key is value."""
    return [o for o in objects or [] if ((o.get("metadata") or {}).get("labels") or {}).get(key) == value]


def foreman_molecule_by_name(items):
    """A dict of the items (dicts with a name), by name."""
    return {i.get("name"): i for i in items or []}


def _mismatches(actual, wanted):
    """One sentence per key of wanted whose value in actual (a dict) differs."""
    actual = actual or {}
    return [f"{k} is {actual.get(k)!r}, want {v!r}" for k, v in (wanted or {}).items() if actual.get(k) != v]


def foreman_molecule_item_problems(items, wanted, what="component"):
    """One sentence per wanted item (name: {key: value}) missing from items or differing from it."""
    have = foreman_molecule_by_name(items)
    out = []
    for name, want in (wanted or {}).items():
        if name not in have:
            out.append(f"{what} {name}: missing")
            continue
        out.extend(f"{what} {name}: {m}" for m in _mismatches(have[name], want))
    return out


def foreman_molecule_uids(objects):
    """{name: uid} of the objects; nothing else of them (Secrets' data stays out)."""
    return {(o.get("metadata") or {}).get("name"): (o.get("metadata") or {}).get("uid") for o in objects or []}


class FilterModule:
    """The scenarios' filters."""

    def filters(self):
        return {
            "foreman_molecule_not_ready": foreman_molecule_not_ready,
            "foreman_molecule_owned_by": foreman_molecule_owned_by,
            "foreman_molecule_labeled": foreman_molecule_labeled,
            "foreman_molecule_by_name": foreman_molecule_by_name,
            "foreman_molecule_uids": foreman_molecule_uids,
            "foreman_molecule_item_problems": foreman_molecule_item_problems,
        }
