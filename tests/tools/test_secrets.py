"""API keys: keychain round trip, environment override, and clear messages when absent."""

from __future__ import annotations

import keyring.errors
import pytest
from keyring.backends import fail, null

from ii_desktop.core.errors import ConfigError, UsageError
from ii_desktop.tools import secrets
from tests.helpers.keyring_backend import MemoryKeyring, use_keyring

SECRET = "sk-live-abcdef123456"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in secrets.KEYED_PROVIDERS:
        monkeypatch.delenv(secrets.env_var(name), raising=False)


@pytest.fixture
def memory():
    with use_keyring(MemoryKeyring()) as backend:
        yield backend


def test_round_trip_through_the_keychain(memory):
    secrets.set_api_key("serper", f"  {SECRET}\n")
    assert memory.store == {("ii-desktop", "serper"): SECRET}
    assert secrets.get_api_key("serper") == SECRET
    assert secrets.delete_api_key("serper") is True
    assert secrets.delete_api_key("serper") is False
    assert memory.store == {}


def test_the_environment_overrides_the_keychain(memory, monkeypatch):
    secrets.set_api_key("brave", SECRET)
    monkeypatch.setenv("II_DESKTOP_BRAVE_KEY", "from-env")
    assert secrets.get_api_key("brave") == "from-env"
    monkeypatch.setenv("II_DESKTOP_BRAVE_KEY", "  ")  # blank counts as unset
    assert secrets.get_api_key("brave") == SECRET


def test_the_environment_works_without_any_keychain(monkeypatch):
    monkeypatch.setenv("II_DESKTOP_TAVILY_KEY", "from-env")
    with use_keyring(fail.Keyring()):
        assert secrets.get_api_key("tavily") == "from-env"


def test_a_missing_key_names_the_provider_and_how_to_set_it(memory):
    with pytest.raises(secrets.MissingApiKey) as info:
        secrets.get_api_key("tavily")
    message = info.value.message
    assert message.startswith("Tavily needs an API key")
    assert "ii-desktop search --set-key tavily" in message
    assert "II_DESKTOP_TAVILY_KEY" in message
    assert isinstance(info.value, ConfigError)


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring()])
def test_no_keychain_is_said_plainly(backend):
    with use_keyring(backend):
        assert not secrets.keychain_available()
        with pytest.raises(secrets.MissingApiKey) as missing:
            secrets.get_api_key("serper")
        with pytest.raises(secrets.NoKeychain) as storing:
            secrets.set_api_key("serper", SECRET)
        with pytest.raises(secrets.NoKeychain):
            secrets.delete_api_key("serper")
    for message in (missing.value.message, storing.value.message):
        assert "No system keychain is available" in message
        assert "II_DESKTOP_SERPER_KEY" in message
        assert SECRET not in message


def test_keyless_providers_and_blank_keys_are_usage_errors(memory):
    with pytest.raises(UsageError, match="takes no API key"):
        secrets.get_api_key("ddgs")
    with pytest.raises(UsageError, match="No Serper API key"):
        secrets.set_api_key("serper", "   ")
    with pytest.raises(UsageError, match="contains spaces"):
        secrets.set_api_key("serper", "two words")
    assert memory.store == {}


class LockedKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked(f"locked while holding {SECRET}")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError("denied")


def test_keychain_errors_are_reported_without_their_details():
    with use_keyring(LockedKeyring()):
        with pytest.raises(secrets.KeychainError) as reading:
            secrets.get_api_key("serper")
        with pytest.raises(secrets.KeychainError) as storing:
            secrets.set_api_key("serper", SECRET)
    assert "KeyringLocked" in reading.value.message
    assert "refused to store" in storing.value.message
    assert SECRET not in reading.value.message + storing.value.message


class ForgetfulKeyring(MemoryKeyring):
    def set_password(self, service: str, username: str, password: str) -> None:
        pass


def test_a_keychain_that_does_not_keep_the_key_is_caught():
    with (
        use_keyring(ForgetfulKeyring()),
        pytest.raises(secrets.KeychainError, match="did not keep"),
    ):
        secrets.set_api_key("serper", SECRET)
