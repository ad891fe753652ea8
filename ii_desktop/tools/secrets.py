"""API keys for the search providers that need one, kept in the system keychain.

Keys live under service ``ii-desktop`` with the provider name as the account, through
``keyring`` (macOS Keychain, Windows Credential Manager, Secret Service or KWallet on
Linux). For headless use an environment variable such as ``II_DESKTOP_SERPER_KEY``
overrides the keychain. Keys are never written to settings, logs or tool output, and
no message built here contains one.

    ConfigError
    └── KeychainError        the keychain refused or failed
        ├── NoKeychain       no keychain service on this machine
        ├── MissingApiKey    neither the environment nor the keychain has the key
        └── DamagedApiKey    the key found holds a control character (newline, NUL, ESC...)

A key with a control character is refused when stored and when read: sent in a header it
could add headers of its own, and printed it could drive the terminal. Every key handed
out is remembered for the life of the process (``known_key_values``) so that the notebook
can redact it from whatever a server echoes back.
"""

from __future__ import annotations

import logging
import os
import threading
import unicodedata

from ii_desktop.core.errors import ConfigError, UsageError

log = logging.getLogger(__name__)

SERVICE = "ii-desktop"
KEYED_PROVIDERS: dict[str, str] = {
    "serper": "Serper",
    "tavily": "Tavily",
    "brave": "Brave Search",
    "openai": "The OpenAI-compatible model server",
}


class KeychainError(ConfigError):
    pass


class NoKeychain(KeychainError):
    pass


class MissingApiKey(KeychainError):
    pass


class DamagedApiKey(KeychainError):
    pass


# Shorter values are not redacted: replacing a four-letter key everywhere would rewrite
# ordinary words, and real API keys are far longer.
MIN_REMEMBERED_KEY = 8
_known_keys: tuple[str, ...] = ()  # replaced whole under the lock, so reads need none
_known_lock = threading.Lock()


def remember_key(key: str) -> None:
    """Note a key value so that ``known_key_values`` lists it from now on."""
    global _known_keys
    if len(key) >= MIN_REMEMBERED_KEY and key not in _known_keys:
        with _known_lock:
            _known_keys = tuple(sorted({*_known_keys, key}, key=len, reverse=True))


def known_key_values() -> tuple[str, ...]:
    """Every key value read or stored by this process, longest first (so a key that
    contains another is redacted whole)."""
    return _known_keys


def forget_known_keys() -> None:
    """Clear the list of remembered keys (for tests)."""
    global _known_keys
    with _known_lock:
        _known_keys = ()


def has_control_character(text: str) -> bool:
    """Whether ``text`` holds a control character: C0 (newline, tab, NUL, ESC...), DEL or C1."""
    return any(unicodedata.category(ch) == "Cc" for ch in text)


def env_var(provider: str) -> str:
    return f"II_DESKTOP_{provider.upper()}_KEY"


def _label(provider: str) -> str:
    try:
        return KEYED_PROVIDERS[provider]
    except KeyError:
        choices = ", ".join(KEYED_PROVIDERS)
        raise UsageError(f"{provider!r} takes no API key; keys are kept for {choices}.") from None


def _no_keychain_text(provider: str) -> str:
    return (
        "No system keychain is available on this machine (keyring found no backend such as "
        "GNOME Keyring, KWallet, macOS Keychain or Windows Credential Manager), so keys "
        f"cannot be stored; set {env_var(provider)} in the environment instead."
    )


def keychain_available() -> bool:
    """Whether keyring has a real backend (not its "fail" or deliberately "null" one)."""
    import keyring  # on first use: finding the backends takes a tenth of a second
    from keyring.backends import fail, null

    return not isinstance(keyring.get_keyring(), fail.Keyring | null.Keyring)


def get_api_key(provider: str) -> str:
    """The provider's key: the environment variable first, then the keychain."""
    import keyring
    import keyring.errors

    label = _label(provider)
    from_env = os.environ.get(env_var(provider), "").strip()
    if from_env:
        if has_control_character(from_env):
            raise DamagedApiKey(
                f"{env_var(provider)} holds a damaged {label} API key: it contains a control "
                "character (such as a newline, tab or escape). Set it again to the key alone, "
                "or unset it to use the key in the system keychain."
            )
        remember_key(from_env)
        return from_env
    how = (
        f"store one with `ii-desktop search --set-key {provider}` "
        f"or set {env_var(provider)} in the environment (in the window: Settings)"
    )
    if not keychain_available():
        raise MissingApiKey(f"{label} needs an API key. {_no_keychain_text(provider)}")
    try:
        stored = keyring.get_password(SERVICE, provider)
    except keyring.errors.NoKeyringError:
        raise MissingApiKey(f"{label} needs an API key. {_no_keychain_text(provider)}") from None
    except keyring.errors.KeyringError as exc:
        log.info("reading a key failed: %s", type(exc).__name__)
        raise KeychainError(
            f"Could not read the {label} API key from the system keychain; {how}."
        ) from None
    if not stored or not stored.strip():
        raise MissingApiKey(f"{label} needs an API key: {how}.")
    stored = stored.strip()
    if has_control_character(stored):
        raise DamagedApiKey(
            f"The {label} API key stored in the system keychain is damaged: it contains a "
            "control character (such as a newline, tab or escape). Store it again with "
            f"`ii-desktop search --set-key {provider}`, or set {env_var(provider)} in the "
            "environment."
        )
    remember_key(stored)
    return stored


def set_api_key(provider: str, key: str) -> None:
    """Store a key in the keychain, replacing any earlier one."""
    import keyring
    import keyring.errors

    label = _label(provider)
    key = key.strip()
    if not key:
        raise UsageError(f"No {label} API key was given; nothing was stored.")
    if has_control_character(key):
        raise UsageError(
            f"That {label} API key contains a control character (such as a newline, tab or "
            "escape); nothing was stored. Paste the key alone."
        )
    if any(ch.isspace() for ch in key):
        raise UsageError(f"That {label} API key contains spaces; nothing was stored.")
    if not keychain_available():
        raise NoKeychain(_no_keychain_text(provider))
    try:
        keyring.set_password(SERVICE, provider, key)
        kept = keyring.get_password(SERVICE, provider) == key
    except keyring.errors.NoKeyringError:
        raise NoKeychain(_no_keychain_text(provider)) from None
    except keyring.errors.KeyringError as exc:
        log.info("storing a key failed: %s", type(exc).__name__)
        raise KeychainError(
            f"The system keychain refused to store the {label} API key; unlock the keychain "
            f"and try again, or set {env_var(provider)} in the environment."
        ) from None
    if not kept:
        raise KeychainError(f"The system keychain did not keep the {label} API key.")
    remember_key(key)


def delete_api_key(provider: str) -> bool:
    """Remove a stored key; False when none was stored."""
    import keyring
    import keyring.errors

    label = _label(provider)
    if not keychain_available():
        raise NoKeychain(_no_keychain_text(provider))
    try:
        if keyring.get_password(SERVICE, provider) is None:
            return False
        keyring.delete_password(SERVICE, provider)
    except keyring.errors.NoKeyringError:
        raise NoKeychain(_no_keychain_text(provider)) from None
    except keyring.errors.PasswordDeleteError:
        return False
    except keyring.errors.KeyringError as exc:
        log.info("deleting a key failed: %s", type(exc).__name__)
        raise KeychainError(
            f"The system keychain refused to delete the {label} API key; unlock the keychain "
            "and try again."
        ) from None
    return True
