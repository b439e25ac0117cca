"""Filters of the foreman_smoke role: the judgements of a smoke test.

Each takes what the role read from the cluster (or Foreman's answer) and
returns the list of problems it finds, one sentence each, naming the custom
resource (a Foreman or a SmartProxy) and the object; an empty list means
healthy. They are pure and covered by
tests/smoke.yml, against objects as the API server returns them and against
recorded /api/v2/ping responses (tests/ping/*.json).
"""

from urllib.parse import urlsplit

DOCUMENTATION = r"""
name: foreman_smoke
short_description: Judgements of the Foreman smoke test
description:
  - foreman_smoke_owned keeps the objects that one of the custom resources owns.
  - foreman_smoke_select keeps the custom resources named, or all of them when no name is given.
  - foreman_smoke_component_problems checks Ready for the current generation, the last run, and every component.
  - foreman_smoke_service_problems finds the custom resources' Services without a ready endpoint.
  - foreman_smoke_job_problems finds the custom resources' Jobs (migrations, registrations) that have not succeeded.
  - foreman_smoke_url_problems compares each status URL with the Route or Ingress host, or the Service.
  - foreman_smoke_simulated_nodes names the nodes that kwok simulates.
  - foreman_smoke_web_nodes names the nodes that serve each Foreman's web Service.
  - foreman_ping_failures judges a Foreman /api/v2/ping response.
"""

KWOK_NODE_ANNOTATION = "kwok.x-k8s.io/node"


def _meta(obj):
    return (obj or {}).get("metadata") or {}


def _conditions(obj):
    return {c.get("type"): c for c in ((obj or {}).get("status") or {}).get("conditions") or []}


def _owned_by(obj, uids):
    return any(ref.get("uid") in uids for ref in _meta(obj).get("ownerReferences") or [])


def _uids(crs):
    return {_meta(f).get("uid") for f in crs or []}


def _what(cr):
    return f"{cr.get('kind') or 'Foreman'} {_meta(cr).get('name')}"


def foreman_smoke_select(crs, names=None):
    """Keep the custom resources whose name is in names; all of them when names is empty."""
    names = list(names or [])
    return [f for f in crs or [] if not names or _meta(f).get("name") in names]


def foreman_smoke_component_problems(crs):
    """Problems with each custom resource's own verdict (pkg/foremanstatus).

    Ready must be True for the spec's generation, the last Ansible run must
    have succeeded, and every component listed must be ready.
    """
    problems = []
    for f in crs or []:
        name = _what(f)
        generation = _meta(f).get("generation")
        conds = _conditions(f)
        ready = conds.get("Ready")
        if ready is None:
            problems.append(f"{name}: no Ready condition yet")
        elif ready.get("status") != "True":
            problems.append(f"{name}: Ready is {ready.get('status')} ({ready.get('reason')}: {ready.get('message')})")
        elif ready.get("observedGeneration") != generation:
            problems.append(f"{name}: Ready is for generation {ready.get('observedGeneration')}, the spec is at {generation}")
        successful = conds.get("Successful")
        if successful is None or successful.get("status") != "True":
            detail = (conds.get("Failure") or {}).get("message") or (successful or {}).get("message") or "no run yet"
            problems.append(f"{name}: the last Ansible run did not succeed: {detail}")
        components = ((f.get("status") or {}).get("components")) or []
        if not components:
            problems.append(f"{name}: status lists no components")
        for c in components:
            if not c.get("ready"):
                problems.append(f"{name}: component {c.get('name')} ({c.get('kind')}) is not ready: {c.get('message') or 'no reason given'}")
    return problems


def _ready_endpoints(slices, service):
    count = 0
    for s in slices or []:
        if (_meta(s).get("labels") or {}).get("kubernetes.io/service-name") != service:
            continue
        for e in s.get("endpoints") or []:
            # EndpointConditions: a nil ready means ready.
            if (e.get("conditions") or {}).get("ready") is not False and e.get("addresses"):
                count += 1
    return count


def foreman_smoke_service_problems(crs, services, slices):
    """Services the custom resources own without a ready endpoint in their EndpointSlices, and resources without a Service."""
    uids = _uids(crs)
    problems = [f"{_what(f)}: owns no Service" for f in crs or []
                if not any(_owned_by(s, {_meta(f).get("uid")}) for s in services or [])]
    for svc in services or []:
        if not _owned_by(svc, uids) or (svc.get("spec") or {}).get("type") == "ExternalName":
            continue
        name = _meta(svc).get("name")
        if _ready_endpoints(slices, name) == 0:
            problems.append(f"Service {name} has no ready endpoint")
    return problems


def foreman_smoke_owned(objects, crs):
    """The objects that one of the custom resources owns."""
    uids = _uids(crs)
    return [o for o in objects or [] if _owned_by(o, uids)]


def foreman_smoke_job_problems(crs, jobs):
    """Each custom resource ran its Jobs (a Foreman's migrations, a SmartProxy's registration), and every one succeeded."""
    problems = []
    for f in crs or []:
        mine = [j for j in jobs or [] if _owned_by(j, {_meta(f).get("uid")})]
        if not mine:
            problems.append(f"{_what(f)}: owns no Job (no migration or registration ran)")
        for j in mine:
            conds = _conditions(j)
            if (conds.get("Complete") or {}).get("status") == "True":
                continue
            failed = conds.get("Failed") or {}
            state = f"failed ({failed.get('reason')}: {failed.get('message')})" if failed.get("status") == "True" else "has not completed"
            component = (_meta(j).get("labels") or {}).get("app.kubernetes.io/component") or "Job"
            problems.append(f"{_what(f)}: {component} Job {_meta(j).get('name')} {state}")
    return problems


def foreman_smoke_url_problems(crs, services, ingresses, routes):
    """Each custom resource's status URL must be where it is exposed.

    Behind a Route, the Route's host over https. Behind an Ingress with a
    host, that host; a Foreman's over https exactly when the Ingress has TLS
    (a Smart Proxy always speaks https). Otherwise (an Ingress for every
    host, a node port, a load balancer, none) the spec's hostname or the
    in-cluster name of one of its Services.
    """
    problems = []
    for f in crs or []:
        name, ns = _what(f), _meta(f).get("namespace")
        uid = {_meta(f).get("uid")}
        url = ((f.get("status") or {}).get("url")) or ""
        if not url:
            problems.append(f"{name}: status has no url")
            continue
        parts = urlsplit(url)
        my_routes = [r for r in routes or [] if _owned_by(r, uid)]
        my_ingresses = [i for i in ingresses or [] if _owned_by(i, uid)]
        service_hosts = {f"{_meta(s).get('name')}.{ns}.svc" for s in services or [] if _owned_by(s, uid)}
        hostname = ((f.get("spec") or {}).get("hostname")) or ""
        if my_routes:
            host = (my_routes[0].get("spec") or {}).get("host") or ""
            if parts.scheme != "https" or parts.hostname != host:
                problems.append(f"{name}: status url {url} is not the Route's https://{host}")
            continue
        hosts = [r.get("host") for i in my_ingresses for r in (i.get("spec") or {}).get("rules") or [] if r.get("host")]
        if hosts:
            tls = any((i.get("spec") or {}).get("tls") for i in my_ingresses)
            if parts.hostname not in hosts:
                problems.append(f"{name}: status url {url} is not on the Ingress host {', '.join(hosts)}")
            elif f.get("kind", "Foreman") == "Foreman" and parts.scheme != ("https" if tls else "http"):
                problems.append(f"{name}: status url {url} should be {'https' if tls else 'http'}: the Ingress has{'' if tls else ' no'} TLS")
            continue
        allowed = service_hosts | ({hostname} if hostname else set())
        if parts.hostname not in allowed:
            problems.append(f"{name}: status url {url} names neither the spec's hostname nor a Service ({', '.join(sorted(allowed)) or 'none'})")
    return problems


def foreman_smoke_simulated_nodes(nodes):
    """Names of the nodes that kwok simulates: pods there are never run."""
    return sorted(_meta(n).get("name") for n in nodes or []
                  if (_meta(n).get("annotations") or {}).get(KWOK_NODE_ANNOTATION) == "fake")


def foreman_smoke_web_nodes(crs, services, slices):
    """Names of the nodes whose pods serve the Foremans' web Services."""
    uids = _uids(f for f in crs or [] if f.get("kind", "Foreman") == "Foreman")
    web = {_meta(s).get("name") for s in services or []
           if _owned_by(s, uids) and (_meta(s).get("labels") or {}).get("app.kubernetes.io/component") == "web"}
    nodes = set()
    for s in slices or []:
        if (_meta(s).get("labels") or {}).get("kubernetes.io/service-name") in web:
            nodes.update(e.get("nodeName") for e in s.get("endpoints") or [] if e.get("nodeName"))
    return sorted(nodes)


def _ok(status):
    return str(status or "").lower() == "ok"


def _detail(body):
    """': message' on one line, or nothing when there is no message."""
    message = " ".join(str((body or {}).get("message") or "").split())
    return f": {message}" if message else ""


def foreman_ping_failures(response, expected=None):
    """What a Foreman /api/v2/ping response says is not ok; empty when all is.

    Foreman's part: the database must be active and every cache server ok.
    Every other top-level key is a plugin (katello, foreman_rh_cloud, ...):
    its status and each of its services must be ok. Plugins in expected must
    be in the response. Messages are put on one line.
    """
    if not isinstance(response, dict) or not isinstance(response.get("foreman"), dict):
        return ["the response is not Foreman's ping: it has no foreman object"]
    failures = []
    foreman = response["foreman"]
    database = foreman.get("database") or {}
    if database.get("active") is not True:
        failures.append(f"foreman: the database is not active{_detail(database)}")
    for i, server in enumerate((foreman.get("cache") or {}).get("servers") or []):
        if not _ok(server.get("status")):
            failures.append(f"foreman: cache server {i}: {server.get('status')}{_detail(server)}")
    for plugin in sorted(k for k in response if k != "foreman"):
        body = response[plugin]
        if not isinstance(body, dict):
            continue
        services = body.get("services") or {}
        for service in sorted(services):
            s = services[service] or {}
            if not _ok(s.get("status")):
                failures.append(f"{plugin}: {service}: {s.get('status')}{_detail(s)}")
        if "status" in body and not _ok(body["status"]) and not any(f.startswith(plugin + ":") for f in failures):
            failures.append(f"{plugin}: status {body['status']}")
    for plugin in expected or []:
        if plugin not in response:
            failures.append(f"{plugin}: missing from the response")
    return failures


class FilterModule:
    """The foreman_smoke role's filters."""

    def filters(self):
        return {
            "foreman_smoke_select": foreman_smoke_select,
            "foreman_smoke_owned": foreman_smoke_owned,
            "foreman_smoke_component_problems": foreman_smoke_component_problems,
            "foreman_smoke_service_problems": foreman_smoke_service_problems,
            "foreman_smoke_job_problems": foreman_smoke_job_problems,
            "foreman_smoke_url_problems": foreman_smoke_url_problems,
            "foreman_smoke_simulated_nodes": foreman_smoke_simulated_nodes,
            "foreman_smoke_web_nodes": foreman_smoke_web_nodes,
            "foreman_ping_failures": foreman_ping_failures,
        }
