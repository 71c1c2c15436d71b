"""Secrets found in configs: classified, fingerprinted with a per-install key, never kept.

A literal secret becomes `<secret>` for display and an HMAC-SHA256 fingerprint (keyed by
32 random bytes in the data dir, 0600) so a rotated token is noticed without storing it.
Plain hashes are not used: short secrets could be brute-forced and would correlate across
machines.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import re
import secrets
import stat
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

SALT_FILENAME = "permissions.key"
SECRET = "<secret>"
REFERENCE = "<ref>"

SECRET_KEY_NAME = re.compile(r"(key|token|secret|pass|pwd|auth|cred|session|cookie|bearer|private)", re.I)
SECRET_FLAGS = {"--token", "--api-key", "--apikey", "--key", "--secret", "--password", "-p", "--auth",
                "--access-token", "--client-secret", "--bearer"}
PROVIDER_PREFIX = re.compile(
    r"^(sk-ant-|sk-proj-|sk-|ghp_|gho_|ghu_|ghs_|github_pat_|glpat-|xox[abpr]-|AKIA|ASIA|AIza|hf_|npm_|pypi-|eyJ|-----BEGIN)"
)
REFERENCE_FORMS = re.compile(
    r"^\s*(Bearer\s+|Token\s+|Basic\s+)?(\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|%[A-Za-z_][A-Za-z0-9_]*%|\$\{(env|input):[^}]+\}"
    r"|\{env:[^}]+\}|op://\S+|keychain:\S+)\s*$"
)
TOKEN_LIKE = re.compile(r"^[A-Za-z0-9+/=_\-]{20,}$")


class Fingerprinter:
    """Keyed fingerprints of secret values; the key lives in the data dir, private to the user."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> Fingerprinter:
        return cls(load_or_create_key(data_dir))

    def __call__(self, slot: str, value: str) -> str:
        message = b"tokenlens-perm/v1\0" + slot.encode() + b"\0" + value.encode("utf-8", "surrogatepass")
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:16]


def load_or_create_key(data_dir: Path) -> bytes:
    path = data_dir / SALT_FILENAME
    try:
        key = path.read_bytes()
        if len(key) == 32:
            if stat.S_IMODE(path.stat().st_mode) & 0o077:
                path.chmod(0o600)
            return key
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = secrets.token_bytes(32)
    tmp = path.with_name(SALT_FILENAME + ".tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    try:
        os.write(fd, key)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    return key


def key_status(data_dir: Path) -> str:
    path = data_dir / SALT_FILENAME
    try:
        st = path.stat()
    except FileNotFoundError:
        return "not created yet (made on first permissions scan)"
    if st.st_size != 32:
        return "damaged (wrong size): delete it; fingerprints restart"
    if stat.S_IMODE(st.st_mode) & 0o077:
        return f"too open (mode {stat.S_IMODE(st.st_mode):o}); will be fixed to 600 on next scan"
    return "ok"


def entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(c / len(text) * math.log2(c / len(text)) for c in counts.values())


def is_reference(value: str) -> bool:
    return bool(REFERENCE_FORMS.match(value))


def looks_secret(value: str) -> bool:
    """A value that is a credential by its shape alone (provider prefix or a long random token)."""
    text = value.strip()
    if not text or is_reference(text):
        return False
    if PROVIDER_PREFIX.match(text) and len(text) >= 12:
        return True
    if text.lower().startswith(("bearer ", "token ", "basic ")):
        return len(text.split(None, 1)[1]) >= 8
    return bool(TOKEN_LIKE.match(text)) and any(c.isdigit() for c in text) and any(c.isalpha() for c in text) \
        and entropy(text) > 3.5


def is_secret_slot_value(key: str, value: str) -> bool:
    """A literal under a secret-sounding key name, or secret-shaped anywhere."""
    if not value or is_reference(value):
        return False
    return bool(SECRET_KEY_NAME.search(key)) or looks_secret(value)


class Redactor:
    """Collects the secret material of one grant while producing its display-safe text."""

    def __init__(self, fingerprint: Fingerprinter) -> None:
        self._fp = fingerprint
        self.literals: list[tuple[str, str]] = []  # (slot, fingerprint) of literal secrets

    def secret(self, slot: str, value: str) -> str:
        self.literals.append((slot, self._fp(slot, value)))
        return SECRET

    def mapping(self, slot: str, values: object) -> str:
        """`KEY=<secret>` / `KEY=<ref>` for env or header maps: key names only, never values."""
        if not isinstance(values, dict):
            return ""
        parts = []
        for key in sorted(values, key=str):
            value = values[key]
            text = value if isinstance(value, str) else str(value)
            if not text:
                parts.append(f"{key}=")
            elif is_reference(text):
                parts.append(f"{key}={REFERENCE}")
            elif is_secret_slot_value(str(key), text) or slot.startswith("header"):
                parts.append(f"{key}={self.secret(f'{slot}:{key}', text)}")
            else:
                # A plain setting (DEBUG=1): not a credential, still not shown.
                self._fp(f"{slot}:{key}", text)
                parts.append(f"{key}=…")
        return ", ".join(parts)

    def args(self, args: list) -> str:
        shown: list[str] = []
        hide_next = False
        for raw in args:
            arg = str(raw)
            if hide_next:
                shown.append(self.secret("arg", arg))
                hide_next = False
                continue
            if arg in SECRET_FLAGS:
                shown.append(arg)
                hide_next = True
                continue
            shown.append(self.inline(arg))
        return " ".join(shown)

    def inline(self, text: str) -> str:
        """One argument or URL: key=value secrets, URL credentials and token-like words hidden."""
        if "://" in text:
            return self.url(text)
        match = re.match(r"^(--?[\w.-]+=|[\w.-]+=)(.*)$", text)
        if match and match.group(2) and is_secret_slot_value(match.group(1), match.group(2)):
            return match.group(1) + self.secret("arg", match.group(2))
        if looks_secret(text):
            return self.secret("arg", text)
        return text

    def url(self, text: str) -> str:
        try:
            parts = urlsplit(text)
        except ValueError:
            return self.secret("url", text)
        netloc = parts.netloc
        if "@" in netloc:
            netloc = self.secret("url-userinfo", netloc.rsplit("@", 1)[0]) + "@" + netloc.rsplit("@", 1)[1]
        query = parts.query
        if query:
            pairs = []
            for pair in query.split("&"):
                key, _, value = pair.partition("=")
                pairs.append(f"{key}={self.secret('url-query:' + key, value)}" if value else key)
            query = "&".join(pairs)
        path = "/".join(self.secret("url-path", p) if looks_secret(p) else p for p in parts.path.split("/"))
        return urlunsplit((parts.scheme, netloc, path, query, ""))

    def fingerprint(self) -> str:
        """One fingerprint over every literal secret seen, so any rotation changes it."""
        if not self.literals:
            return ""
        joined = "|".join(f"{slot}={fp}" for slot, fp in sorted(self.literals))
        return self._fp("grant", joined)
