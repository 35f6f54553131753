"""Reading settings from the environment: each helper returns a checked value or raises
ImproperlyConfigured naming the variable, in words an operator can act on.

Settings are read once, at import, so a bad value stops web, worker and beat at start
instead of failing every request. No message ever contains a password: URLs are shown
through `mask_url`, secrets not at all.
"""

import os
import pwd
import re
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}

SECRET_KEY_MIN_LENGTH = 32
GENERATE_SECRET_KEY = "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"  # noqa: S105

# What a well-formed URL of each scheme looks like, for the messages.
_URL_EXAMPLES = {
    "postgres": "postgres://USER:PASSWORD@HOST:5432/NAME",
    "postgresql": "postgresql://USER:PASSWORD@HOST:5432/NAME",
    "pgsql": "pgsql://USER:PASSWORD@HOST:5432/NAME",
    "sqlite": "sqlite:////absolute/path/db.sqlite3",
    "redis": "redis://HOST:6379/0",
    "rediss": "rediss://HOST:6380/0",
    "filesystem": "filesystem://",
    "http": "http://HOST:8000",
    "https": "https://HOST",
}
_POSTGRES = {"postgres", "postgresql", "pgsql"}
_CANONICAL = {"postgresql": "postgres", "pgsql": "postgres", "rediss": "redis", "https": "http"}
_REDIS = {"redis", "rediss"}
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_DIGITS = re.compile(r"[0-9]+")


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false, yes/no), got {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def env_secret_key(name: str, development_key: str, *, debug: bool) -> str:
    """The secret key: unset means the development key, which only DEBUG may use."""
    value = env_str(name, development_key)
    if value == development_key and not debug:
        raise ImproperlyConfigured(
            f"{name} is not set (or is the development key) while DEBUG is off. Set {name} "
            f"to a random string of at least {SECRET_KEY_MIN_LENGTH} characters, for "
            f"example the output of: {GENERATE_SECRET_KEY} (or DEBUG=1 for local development)."
        )
    if not value.strip():
        raise ImproperlyConfigured(
            f"{name} is empty. Set it to a random string of at least {SECRET_KEY_MIN_LENGTH} "
            f"characters, for example the output of: {GENERATE_SECRET_KEY}"
        )
    if len(value) < SECRET_KEY_MIN_LENGTH:
        raise ImproperlyConfigured(
            f"{name} is too short ({len(value)} characters; at least "
            f"{SECRET_KEY_MIN_LENGTH} are needed). Set it to a long random string, for "
            f"example the output of: {GENERATE_SECRET_KEY}"
        )
    return value


def mask_url(value: str) -> str:
    """`value` as it may be shown: whatever stands where a password could be is `***`.

    Works on malformed URLs too (a password containing "/" or "@", one slash after the
    scheme): everything before the last "@" except the scheme and the user name is
    hidden. Without an "@", a non-numeric "port" may be a password whose "@host" was
    forgotten, so it is hidden as well.
    """
    scheme = _SCHEME.match(value)
    start = scheme.end() if scheme else 0
    while value[start : start + 1] == "/":
        start += 1
    at = value.rfind("@")
    if at >= start:
        user, colon, _ = value[start:at].partition(":")
        return f"{value[:start]}{user + ':***' if colon else '***'}{value[at:]}"
    authority_end = len(value)
    for separator in "/?#":
        found = value.find(separator, start)
        if found != -1:
            authority_end = min(authority_end, found)
    authority = value[start:authority_end]
    host, colon, port = authority.rpartition(":")
    if colon and port and not port.endswith("]") and not _DIGITS.fullmatch(port):
        return f"{value[:start]}{host}:***{value[authority_end:]}"
    return value


def env_url(name: str, default: str, *, schemes: set[str], allow_empty: bool = False) -> str:
    """A URL with one of `schemes`, checked for the parts its scheme needs.

    With `allow_empty`, an empty value means "not used" and is returned as is.
    """
    value = env_str(name, default)
    if allow_empty and value == "":
        return value
    shown = mask_url(value)
    kinds = dict.fromkeys(_CANONICAL.get(s, s) for s in sorted(schemes))  # one per kind
    examples = " or ".join(_URL_EXAMPLES.get(kind, f"{kind}://…") for kind in kinds)

    def refuse(problem: str) -> ImproperlyConfigured:
        return ImproperlyConfigured(f"{name} {problem}; it is {shown!r}.")

    if not value.strip():
        raise ImproperlyConfigured(
            f"{name} is set but empty. Remove it to use the default, or set it like {examples}."
        )
    match = _SCHEME.match(value)
    scheme = match.group()[:-1].lower() if match else ""
    if scheme not in schemes:
        allowed = ", ".join(f"{s}://" for s in sorted(schemes))
        raise refuse(f"must start with one of {allowed} (for example {examples})")
    example = _URL_EXAMPLES.get(scheme, f"{scheme}://…")
    rest = value[len(scheme) + 1 :]
    if not rest.startswith("//"):
        raise refuse(f"needs two slashes after '{scheme}:', like {example}")
    if scheme == "filesystem":
        return value
    if scheme == "sqlite":
        if rest == "//:memory:" or (rest.startswith("///") and len(rest) > 3):
            return value
        raise refuse(f"must name the database file after three slashes, like {example}")

    # Before the last "@" sits USER:PASSWORD. A "/", "?" or "#" there would end the host
    # part early, and the parts after it would be read wrongly (the password as a port).
    at = rest.rfind("@")
    if at != -1 and any(char in rest[2:at] for char in "/?#[]"):
        raise refuse(
            "cannot be read: the user name or password contains one of / ? # [ ], which "
            "must be written percent-encoded (/ as %2F, ? as %3F, # as %23, [ as %5B, ] as %5D)"
        )
    try:
        parts = urlsplit(value)
    except ValueError:
        raise refuse(f"cannot be read; it should look like {example}") from None
    host_port = parts.netloc.rpartition("@")[2]
    port: str | None
    if host_port.startswith("["):  # an IPv6 address, [::1]:6379
        host, _, after = host_port[1:].partition("]")
        port = after[1:] if after.startswith(":") else None
        if after and port is None:
            raise refuse(f"has something after the host name that is not a port, like {example}")
    else:
        host, colon, port_text = host_port.partition(":")
        port = port_text if colon else None
    if not host:
        raise refuse(f"has no host name; it should look like {example}")
    if port is not None and not (_DIGITS.fullmatch(port) and 1 <= int(port) <= 65535):
        raise refuse("has a port that is not a whole number from 1 to 65535")

    if scheme in _POSTGRES and not parts.path.lstrip("/"):
        raise refuse(f"names no database; put its name after the last slash, like {example}")
    if scheme in _REDIS and parts.path not in ("", "/"):
        number = parts.path[1:]
        if not (_DIGITS.fullmatch(number) and int(number) <= 15):
            raise refuse(
                f"ends with a database number that is not a whole number from 0 to 15 "
                f"(the part after the last slash, like {example})"
            )
    return value


def _user() -> str:
    uid = os.geteuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:  # a container run with an arbitrary user id
        return f"user id {uid}"


def writable_dir(name: str, path: Path) -> Path:
    """`path` (the folder `name` names, or one inside it), created if missing.

    Refused unless this process can create it and write in it: a probe file is written
    and removed, which also catches read-only mounts that permission bits do not show.
    """
    how_to_fix = (
        f"Set {name} to a folder that the user running the application ({_user()}) may "
        "write to, or give that user write access to this one."
    )
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise ImproperlyConfigured(
            f"{name}: {path} is a file, not a folder. {how_to_fix}"
        ) from None
    except OSError as exc:
        raise ImproperlyConfigured(
            f"{name}: the folder {path} cannot be created ({exc.strerror}). {how_to_fix}"
        ) from None
    try:
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-check-") as probe:
            probe.write(b"ok")
            probe.flush()
    except OSError as exc:
        raise ImproperlyConfigured(
            f"{name}: cannot write in the folder {path} ({exc.strerror}). {how_to_fix}"
        ) from None
    return path


def env_dir(name: str, default: str) -> Path:
    """A folder this process can write in (see `writable_dir`), as an absolute path."""
    raw = env_str(name, default)
    if not raw.strip():
        raise ImproperlyConfigured(
            f"{name} is set but empty. Remove it to use the default, or set it to a folder "
            "the application may write to."
        )
    return writable_dir(name, Path(raw).resolve())
