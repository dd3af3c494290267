"""Settings: parsed from the environment, validated at start-up."""

from __future__ import annotations

import pytest

from wisphub_api import create_app
from wisphub_api.config import ConfigError, config_for_tests, load_config, validate_config

REQUIRED = {
    "WISPHUB_NET_HOST": "https://api.wisphub.net",
    "WISPHUB_NET_KEY": "Abcd1234.abcdefghijklmnopqrstuvwxyz012345",
    "WISPHUB_INTERNAL_API_KEY": "bot-one, bot-two ,",
}


def test_load_config_defaults_match_the_design():
    config = load_config(environ=dict(REQUIRED))
    assert config["CLIENTS_CACHE_TTL"] == 300
    assert config["PLANS_CACHE_TTL"] == 900
    assert config["STALE_MAX_AGE"] == 86400
    assert config["CACHE_TYPE"] == "SimpleCache"
    assert config["VERIFY_MIN_FIELDS"] == 2
    assert config["MAX_CONTENT_LENGTH"] == 65536


def test_load_config_key_list_is_split_and_trimmed():
    assert load_config(environ=dict(REQUIRED))["WISPHUB_INTERNAL_API_KEY"] == ["bot-one", "bot-two"]


def test_load_config_redis_url_selects_redis_cache():
    config = load_config(environ={**REQUIRED, "CACHE_REDIS_URL": "redis://127.0.0.1:6379/0"})
    assert config["CACHE_TYPE"] == "RedisCache"


def test_load_config_bad_number_names_the_variable():
    with pytest.raises(ConfigError, match="CLIENTS_CACHE_TTL"):
        load_config(environ={**REQUIRED, "CLIENTS_CACHE_TTL": "five minutes"})


def test_load_config_reads_dotenv_file_under_the_environment(tmp_path, monkeypatch):
    env_file = tmp_path / ".env"
    env_file.write_text("PLANS_CACHE_TTL=42\nLOOKUP_CACHE_TTL=7\n")
    monkeypatch.setenv("LOOKUP_CACHE_TTL", "9")
    config = load_config(env_file=str(env_file))
    assert config["PLANS_CACHE_TTL"] == 42
    assert config["LOOKUP_CACHE_TTL"] == 9  # the real environment wins over .env


@pytest.mark.parametrize(
    "missing", ["WISPHUB_NET_HOST", "WISPHUB_NET_KEY", "WISPHUB_INTERNAL_API_KEY"]
)
def test_validate_config_production_without_secret_fails_clearly(missing):
    environ = {k: v for k, v in REQUIRED.items() if k != missing}
    with pytest.raises(ConfigError, match=missing):
        validate_config(load_config(environ=environ))


def test_validate_config_production_refuses_the_demo_key():
    environ = {**REQUIRED, "WISPHUB_INTERNAL_API_KEY": "demo-bot-key-change-me"}
    with pytest.raises(ConfigError, match="demo key"):
        validate_config(load_config(environ=environ))


def test_validate_config_development_accepts_the_demo_key():
    environ = {
        **REQUIRED,
        "APP_ENV": "development",
        "WISPHUB_INTERNAL_API_KEY": "demo-bot-key-change-me",
    }
    validate_config(load_config(environ=environ))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("APP_ENV", "staging"),
        ("CACHE_TYPE", "Memcached"),
        ("CLIENTS_CACHE_TTL", "0"),
        ("REFRESH_AHEAD_FRACTION", "1.5"),
    ],
)
def test_validate_config_bad_values_fail(name, value):
    with pytest.raises(ConfigError, match=name):
        validate_config(load_config(environ={**REQUIRED, name: value}))


def test_create_app_without_required_settings_fails_at_start():
    with pytest.raises(ConfigError):
        create_app({**config_for_tests(), "APP_ENV": "production", "WISPHUB_NET_KEY": ""})
