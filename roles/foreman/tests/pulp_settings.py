#!/usr/bin/python3
"""Check the managed Pulp's rendered environment the way Pulp reads it.

Pulp reads its settings with Dynaconf (pulpcore/app/settings.py,
ENVVAR_PREFIX_FOR_DYNACONF="PULP"): each PULP_<NAME> value is parsed as the
TOML of key=<value>, and kept as the string when that fails
(dynaconf/utils/parse_conf.py); a double underscore reaches into a
dictionary setting (DATABASES__default__HOST). This script takes what
tests/pulp_env.yml rendered (the ConfigMap's and the Secret's data, and the
api and content commands) for one stream and fails when

- a value does not read back as the type its setting has in Pulp (TYPES,
  each with the file it comes from), or the role renders a setting TYPES
  does not know;
- a setting Katello needs from Pulp, as foremanctl sets it, is missing or
  reads back otherwise (REQUIRED);
- Dynaconf itself (Debian's python3-dynaconf, when installed), loading the
  environment over pulpcore's defaults of the dictionary settings, does not
  put a nested value where Django reads it;
- a command refers to a $(VARIABLE) the environment lacks (Kubernetes
  leaves it as it is), or passes a value pulpcore's command line refuses.

The role renders no settings.py (Pulp's settings are environment only), so
there is nothing to py_compile; a settings.py in the input would be.

Usage: pulp_settings.py <pulp-env-<stream>.json>...
"""

import base64
import json
import os
import py_compile
import re
import sys
import tempfile
import tomllib

PULPCORE = "pulp/pulpcore@3.105.16:pulpcore/app/settings.py"
FOREMANCTL = "theforeman/foremanctl@3.0.0:src/roles/pulp/defaults/main.yaml"
IMAGE = "theforeman/pulp-oci-images:images/pulp/Containerfile (ENV) and assets/pulp-api"
LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]

# The type of each setting the role may render, and where it comes from.
# Types: str, int, bool, list (of strings); "choices" restricts the value.
TYPES = {
    "PULP_DATABASES__default__ENGINE": ("str", PULPCORE + " DATABASES"),
    "PULP_DATABASES__default__NAME": ("str", PULPCORE + " DATABASES"),
    "PULP_DATABASES__default__HOST": ("str", "Django settings DATABASES HOST"),
    "PULP_DATABASES__default__PORT": ("int", "Django settings DATABASES PORT; " + FOREMANCTL),
    "PULP_DATABASES__default__USER": ("str", PULPCORE + " DATABASES"),
    "PULP_DATABASES__default__PASSWORD": ("str", "Django settings DATABASES PASSWORD"),
    "PULP_DATABASES__default__OPTIONS__sslmode": ("str", "psycopg sslmode; " + FOREMANCTL),
    "PULP_DATABASES__default__OPTIONS__sslrootcert": ("str", "psycopg sslrootcert; " + FOREMANCTL),
    "PULP_ENABLED_PLUGINS": ("list", PULPCORE + " ENABLED_PLUGINS (preload)"),
    "PULP_SECRET_KEY": ("str", "Django settings SECRET_KEY"),
    "PULP_REDIS_URL": ("str", PULPCORE + " REDIS_URL"),
    "PULP_CONTENT_ORIGIN": ("str", PULPCORE + " CONTENT_ORIGIN"),
    "PULP_CONTENT_PATH_PREFIX": ("str", PULPCORE + " CONTENT_PATH_PREFIX"),
    "PULP_ANSIBLE_API_HOSTNAME": ("str", "pulp/pulp_ansible:pulp_ansible/app/settings.py ANSIBLE_API_HOSTNAME"),
    "PULP_ANSIBLE_CONTENT_HOSTNAME": ("str", "pulp/pulp_ansible:pulp_ansible/app/settings.py ANSIBLE_CONTENT_HOSTNAME"),
    "PULP_ANSIBLE_PERMISSION_CLASSES": ("list", FOREMANCTL + ' ("[]")'),
    "PULP_SMART_PROXY_PULP_URL": ("str", "theforeman/pulp_smart_proxy:pulp_smart_proxy/app/settings.py"),
    "PULP_SMART_PROXY_MIRROR": ("bool", "theforeman/pulp_smart_proxy:pulp_smart_proxy/app/settings.py"),
    "PULP_SMART_PROXY_RHSM_URL": ("str", "theforeman/pulp_smart_proxy:pulp_smart_proxy/app/settings.py"),
    "PULP_AUTHENTICATION_BACKENDS": ("list", PULPCORE + " AUTHENTICATION_BACKENDS"),
    "PULP_REMOTE_USER_ENVIRON_NAME": ("str", PULPCORE + " REMOTE_USER_ENVIRON_NAME"),
    "PULP_REST_FRAMEWORK__DEFAULT_AUTHENTICATION_CLASSES": ("list", PULPCORE + " REST_FRAMEWORK"),
    "PULP_TOKEN_AUTH_DISABLED": ("bool", "pulp/pulp_container:pulp_container/app/settings.py TOKEN_AUTH_DISABLED"),
    "PULP_CACHE_ENABLED": ("bool", PULPCORE + " CACHE_ENABLED"),
    "PULP_ANALYTICS": ("bool", PULPCORE + " ANALYTICS"),
    "PULP_FLATPAK_INDEX": ("bool", "pulp/pulp_container:pulp_container/app/settings.py FLATPAK_INDEX"),
    "PULP_ALLOWED_CONTENT_CHECKSUMS": ("list", PULPCORE + " ALLOWED_CONTENT_CHECKSUMS",
                                       ["md5", "sha1", "sha224", "sha256", "sha384", "sha512"]),
    "PULP_ALLOWED_IMPORT_PATHS": ("list", PULPCORE + " ALLOWED_IMPORT_PATHS"),
    "PULP_ALLOWED_EXPORT_PATHS": ("list", PULPCORE + " ALLOWED_EXPORT_PATHS"),
    "PULP_WORKING_DIRECTORY": ("str", PULPCORE + " WORKING_DIRECTORY"),
    "PULP_MEDIA_ROOT": ("str", PULPCORE + " MEDIA_ROOT"),
    "PULP_GUNICORN_TIMEOUT": ("int", IMAGE),
    "PULP_API_WORKERS": ("int", IMAGE),
    "PULP_API_WORKERS_MAX_REQUESTS": ("int", IMAGE),
    "PULP_API_WORKERS_MAX_REQUESTS_JITTER": ("int", IMAGE),
    "PULP_CONTENT_WORKERS": ("int", IMAGE),
    "PULP_LOG_LEVEL": ("str", IMAGE + " (--log-level)", [level.lower() for level in LEVELS]),
    "PULP_LOGGING__handlers__console__level": ("str", PULPCORE + " LOGGING", LEVELS),
    "PULP_LOGGING__loggers____level": ("str", PULPCORE + " LOGGING", LEVELS),
}

# What Katello needs from Pulp, as foremanctl sets it (FOREMANCTL): the name,
# and a test of the value as read back given the whole environment.
REQUIRED = {
    "PULP_AUTHENTICATION_BACKENDS": (
        "the backend that never creates users",
        lambda v, env: v == ["pulpcore.app.authentication.PulpNoCreateRemoteUserBackend"]),
    "PULP_ALLOWED_CONTENT_CHECKSUMS": (
        "sha1, sha224, sha256, sha384 and sha512",
        lambda v, env: v == ["sha1", "sha224", "sha256", "sha384", "sha512"]),
    "PULP_ALLOWED_IMPORT_PATHS": (
        "/var/lib/pulp/sync_imports and /var/lib/pulp/imports",
        lambda v, env: v == ["/var/lib/pulp/sync_imports", "/var/lib/pulp/imports"]),
    "PULP_ALLOWED_EXPORT_PATHS": ("/var/lib/pulp/exports", lambda v, env: v == ["/var/lib/pulp/exports"]),
    "PULP_ANSIBLE_API_HOSTNAME": ("the content origin", lambda v, env: v == env.get("PULP_CONTENT_ORIGIN")),
    "PULP_ANSIBLE_CONTENT_HOSTNAME": (
        "the content origin's /pulp/content",
        lambda v, env: v == "%s/pulp/content" % env.get("PULP_CONTENT_ORIGIN")),
    "PULP_ANSIBLE_PERMISSION_CLASSES": ("no permission classes", lambda v, env: v == []),
    "PULP_SMART_PROXY_RHSM_URL": ("empty on a Foreman server", lambda v, env: v == ""),
    "PULP_SMART_PROXY_MIRROR": ("false on a Foreman server", lambda v, env: v is False),
    "PULP_REMOTE_USER_ENVIRON_NAME": ("HTTP_REMOTE_USER", lambda v, env: v == "HTTP_REMOTE_USER"),
    "PULP_TOKEN_AUTH_DISABLED": ("true", lambda v, env: v is True),
    "PULP_FLATPAK_INDEX": ("true", lambda v, env: v is True),
    "PULP_CACHE_ENABLED": ("true", lambda v, env: v is True),
    "PULP_ANALYTICS": ("false", lambda v, env: v is False),
}

# pulpcore's defaults of the dictionary settings the environment reaches
# into (the keys that matter here), from PULPCORE.
DEFAULTS = {
    "DATABASES": {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "pulp", "USER": "pulp", "CONN_MAX_AGE": 0}},
    "REST_FRAMEWORK": {"PAGE_SIZE": 100, "DEFAULT_AUTHENTICATION_CLASSES": [
        "pulpcore.app.authentication.BasicAuthentication", "rest_framework.authentication.SessionAuthentication"]},
    "LOGGING": {"version": 1, "handlers": {"console": {"class": "logging.StreamHandler", "level": "INFO"}},
                "loggers": {"": {"handlers": ["console"], "level": "INFO"}}},
}

# Options of pulpcore-api and pulpcore-content (pulpcore/app/entrypoint.py,
# pulpcore/content/entrypoint.py) that click reads as integers or choices.
INT_OPTIONS = {"--workers", "--timeout", "--max-requests", "--max-requests-jitter"}
CHOICE_OPTIONS = {"--log-level": [level.lower() for level in LEVELS]}


def dynaconf_parse(value):
    """A value as Dynaconf's environment loader reads it."""
    if value.startswith("@json "):
        return json.loads(value[len("@json "):])
    try:
        return tomllib.loads("key=" + value)["key"]
    except tomllib.TOMLDecodeError:
        return value


def type_problem(name, value, want, choices):
    if want == "list":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return "%s reads as %r (%s), not a list of strings" % (name, value, type(value).__name__)
        bad = [v for v in value if choices and v not in choices]
    else:
        kind = {"str": str, "int": int, "bool": bool}[want]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            return "%s reads as %r (%s), not %s" % (name, value, type(value).__name__, want)
        bad = [value] if choices and value not in choices else []
    if bad:
        return "%s: %s not among %s" % (name, bad, choices)
    return None


def check_types(env):
    problems = []
    for name, raw in sorted(env.items()):
        if not name.startswith("PULP_"):
            continue
        if name not in TYPES:
            problems.append("%s: no type known for it; add it to TYPES with its source" % name)
            continue
        want, _source, *choices = TYPES[name]
        problem = type_problem(name, dynaconf_parse(raw), want, choices[0] if choices else None)
        if problem:
            problems.append(problem)
    return problems


def check_required(env):
    problems = []
    read = {name: dynaconf_parse(raw) for name, raw in env.items()}
    for name, (what, ok) in sorted(REQUIRED.items()):
        if name not in env:
            problems.append("%s is not set; Katello needs %s" % (name, what))
        elif not ok(read[name], read):
            problems.append("%s reads as %r; Katello needs %s" % (name, read[name], what))
    return problems


def dig(data, path):
    for key in path:
        data = data[key]
    return data


def check_with_dynaconf(env):
    """Load env with Dynaconf over DEFAULTS; every nested value must be where
    its path says, with no key beside it that differs only in case."""
    try:
        from dynaconf import Dynaconf
    except ImportError:
        return [], "Dynaconf is not installed (python3-dynaconf): checked with its TOML rule only"
    saved = dict(os.environ)
    try:
        for name in [n for n in os.environ if n.startswith("PULP_")]:
            del os.environ[name]
        os.environ.update({k: v for k, v in env.items() if k.startswith("PULP_")})
        settings = Dynaconf(envvar_prefix="PULP", environments=False, load_dotenv=False)
        for key, value in DEFAULTS.items():
            settings.set(key, value)
        settings.execute_loaders()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    problems = []
    for name, raw in sorted(env.items()):
        if not name.startswith("PULP_") or "__" not in name:
            continue
        path = name[len("PULP_"):].split("__")
        top = settings.get(path[0])
        top = top.to_dict() if hasattr(top, "to_dict") else top
        try:
            got = dig(top, path[1:])
        except (KeyError, TypeError):
            problems.append("%s: Dynaconf puts it elsewhere in %s: %s" % (name, path[0], json.dumps(top, default=str)))
            continue
        if got != dynaconf_parse(raw):
            problems.append("%s: Dynaconf reads %r, not %r" % (name, got, dynaconf_parse(raw)))
        node = top
        for key in path[1:-1]:
            node = node[key]
            dupes = sorted({k for k in node if isinstance(k, str) and [o.lower() for o in node].count(k.lower()) > 1})
            if dupes:
                problems.append("%s: %s has keys that differ only in case: %s" % (name, path[0], dupes))
        top_dupes = sorted({k for k in top if isinstance(k, str) and [o.lower() for o in top].count(k.lower()) > 1})
        if top_dupes:
            problems.append("%s: %s has keys that differ only in case: %s" % (name, path[0], top_dupes))
    return sorted(set(problems)), "Dynaconf loaded the environment"


def check_commands(commands, env):
    problems = []
    for process, command in sorted(commands.items()):
        for i, arg in enumerate(command):
            for var in re.findall(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", arg):
                if var not in env:
                    problems.append("%s: %s refers to $(%s), which its environment lacks" % (process, arg, var))
            value = re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", lambda m: env.get(m.group(1), m.group(0)), arg)
            option = command[i - 1] if i > 0 else ""
            if option in INT_OPTIONS and not re.fullmatch(r"[0-9]+", value):
                problems.append("%s: %s %s is not an integer" % (process, option, value))
            if option in CHOICE_OPTIONS and value not in CHOICE_OPTIONS[option]:
                problems.append("%s: %s %s is not one of %s" % (process, option, value, CHOICE_OPTIONS[option]))
            if option == "--bind" and not re.fullmatch(r"(\[[0-9a-fA-F:]+\]|[0-9.]+|[A-Za-z0-9.-]+):[0-9]+", value):
                problems.append("%s: --bind %s is not host:port" % (process, value))
    return problems


def check_settings_py(rendered):
    """py_compile each rendered settings.py (the role renders none today)."""
    problems = []
    for name, source in sorted((rendered or {}).items()):
        with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
            f.write(source)
        try:
            py_compile.compile(f.name, doraise=True)
        except py_compile.PyCompileError as err:
            problems.append("%s: %s" % (name, err.msg))
        finally:
            os.unlink(f.name)
    return problems


def check(rendered):
    env = dict(rendered["configmap"])
    for name, value in rendered.get("secret", {}).items():
        env[name] = base64.b64decode(value).decode("utf-8")
    problems = check_types(env) + check_required(env)
    dynaconf_problems, how = check_with_dynaconf(env)
    problems += dynaconf_problems
    problems += check_commands(rendered.get("commands", {}), env)
    problems += check_settings_py(rendered.get("settings_py"))
    return problems, how, len([n for n in env if n.startswith("PULP_")])


def main(paths):
    failed = False
    for path in paths:
        with open(path, encoding="utf-8") as f:
            rendered = json.load(f)
        problems, how, count = check(rendered)
        stream = rendered.get("stream", path)
        if problems:
            failed = True
            print("stream %s: %d problems (%s):" % (stream, len(problems), how))
            for p in problems:
                print("  " + p)
        else:
            print("stream %s: %d PULP_ settings read back with their types (%s)" % (stream, count, how))
    return 1 if failed or not paths else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
