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
    assert "system keychain" in reading.value.message
    assert "KeyringLocked" not in reading.value.message  # no class names in front of users
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


# A key carrying these would add headers of its own when sent, or drive the terminal.
CONTROL_CHARACTERS = ["\n", "\r", "\t", "\x00", "\x1b", "\x07", "\x7f", "\x9b"]


@pytest.fixture
def forget_keys():
    secrets.forget_known_keys()
    yield
    secrets.forget_known_keys()


@pytest.mark.parametrize("control", CONTROL_CHARACTERS)
def test_a_key_with_a_control_character_is_not_stored(memory, control):
    key = f"sk-live-abc{control}X-Injected: 1"
    with pytest.raises(UsageError) as info:
        secrets.set_api_key("serper", key)
    assert "control character" in info.value.message
    assert "nothing was stored" in info.value.message
    assert "sk-live-abc" not in info.value.message
    assert memory.store == {}


@pytest.mark.parametrize("control", CONTROL_CHARACTERS)
def test_a_damaged_stored_key_is_refused_when_read(memory, control, forget_keys):
    memory.store[(secrets.SERVICE, "serper")] = f"sk-live-abc{control}def456"
    with pytest.raises(secrets.DamagedApiKey) as info:
        secrets.get_api_key("serper")
    message = info.value.message
    assert isinstance(info.value, secrets.KeychainError)
    assert "damaged" in message and "control character" in message
    assert "ii-desktop search --set-key serper" in message
    assert "sk-live" not in message and "def456" not in message
    assert secrets.known_key_values() == ()


@pytest.mark.parametrize("control", ["\r", "\t", "\x1b", "\x07", "\x7f", "\x9b"])
def test_a_damaged_key_in_the_environment_is_refused(memory, monkeypatch, control):
    secrets.set_api_key("brave", SECRET)
    monkeypatch.setenv("II_DESKTOP_BRAVE_KEY", f"brv-head-12345{control}tail-678")
    with pytest.raises(secrets.DamagedApiKey) as info:
        secrets.get_api_key("brave")  # not silently replaced by the keychain's key either
    message = info.value.message
    assert "II_DESKTOP_BRAVE_KEY" in message and "damaged" in message
    assert "brv-head" not in message and "tail-678" not in message


def test_a_damaged_key_skips_its_search_provider(memory):
    from ii_desktop.core.settings import ToolSettings
    from ii_desktop.tools.search.registry import ProviderRegistry

    memory.store[(secrets.SERVICE, "serper")] = "sk-live\r\nX-Evil: 1"
    settings = ToolSettings(search_providers=("serper",))
    (slot,) = ProviderRegistry().slots(settings, http=None)
    assert isinstance(slot, tuple)
    name, reason = slot
    assert (name, reason.outcome) == ("serper", "no_key")
    assert "damaged" in reason.message and "X-Evil" not in reason.message


def test_keys_handed_out_are_remembered_for_redaction(memory, monkeypatch, forget_keys):
    assert secrets.known_key_values() == ()
    secrets.set_api_key("serper", SECRET)
    memory.store[(secrets.SERVICE, "tavily")] = "tvly-0123456789abcdef0123"
    assert secrets.get_api_key("tavily") == "tvly-0123456789abcdef0123"
    monkeypatch.setenv("II_DESKTOP_BRAVE_KEY", "brave-env-key-987")
    assert secrets.get_api_key("brave") == "brave-env-key-987"
    assert secrets.known_key_values() == (
        "tvly-0123456789abcdef0123",
        SECRET,
        "brave-env-key-987",
    )  # longest first, so a key that contains another is redacted whole
    monkeypatch.setenv("II_DESKTOP_OPENAI_KEY", "short")  # too short to redact in prose
    assert secrets.get_api_key("openai") == "short"
    assert "short" not in secrets.known_key_values()
