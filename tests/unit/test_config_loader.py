from pathlib import Path

import pytest

from sluicegate.config.loader import ConfigError, load_config, parse_document
from sluicegate.config.settings import GatewayConfig

VALID = """
server:
  port: 9000
backends:
  - name: ptu-east
    url: https://east.example.com/
    api: azure
    deployment: gpt-4o
    kind: ptu
    auth: {type: api-key, key: "${EAST_KEY}"}
  - name: paygo-west
    url: https://west.example.com/v1
    priority: 2
    auth: {type: bearer, token: "${WEST_TOKEN:-fallback-token}"}
pools:
  main:
    members:
      - backend: ptu-east
      - backend: paygo-west
models:
  gpt-4o:
    pool: main
    aliases: [gpt-4o-2024-08-06]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gateway.yaml"
    path.write_text(text)
    return path


def test_valid_config_with_env_expansion(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, VALID), env={"EAST_KEY": "s3cret-east"})
    assert config.server.port == 9000
    east, west = config.backends
    assert east.url == "https://east.example.com"
    assert east.auth.type == "api-key"
    assert east.auth.key.get_secret_value() == "s3cret-east"  # type: ignore[union-attr]
    assert west.auth.token.get_secret_value() == "fallback-token"  # type: ignore[union-attr]
    assert "s3cret-east" not in repr(config)


def test_missing_env_variable_names_the_key_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, VALID), env={})
    message = str(caught.value)
    assert "backends[0].auth.key" in message
    assert "EAST_KEY" in message
    assert "export EAST_KEY" in message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("kind: ptu", "kind: ptu\n    prioriti: 1"),
            "backends[0].prioriti: is not a known setting",
        ),
        (("api: azure\n    deployment: gpt-4o", "api: azure"), "needs 'deployment'"),
        (("url: https://east.example.com/", "url: east.example.com"), "http:// or https://"),
        (
            ("- backend: paygo-west", "- backend: nowhere"),
            "backend 'nowhere', which is not defined",
        ),
        (("pool: main", "pool: other"), "pool 'other', which is not defined"),
        (("kind: ptu", "kind: reserved"), "backends[0].kind: must be one of"),
        (("{type: api-key,", "{type: magic,"), "backends[0].auth"),
        (("name: paygo-west", "name: ptu-east"), "repeated: ptu-east"),
        (("port: 9000", "port: 99999"), "server.port"),
    ],
)
def test_wrong_config_explains_itself(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    text = VALID.replace(*change)
    assert text != VALID
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text), env={"EAST_KEY": "k"})
    assert expected in str(caught.value)


def test_a_secret_never_shows_in_a_validation_error(tmp_path: Path) -> None:
    text = VALID.replace("kind: ptu", "kind: ptu\n    colour: blue")
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text), env={"EAST_KEY": "s3cret-east"})
    assert "s3cret-east" not in str(caught.value)


def test_not_yaml_and_not_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(write(tmp_path, "a: [1, 2"))
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        load_config(write(tmp_path, "- 1\n- 2\n"))
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.yaml")


def test_alias_claimed_twice_is_refused() -> None:
    data = {
        "backends": [{"name": "b", "url": "http://x"}],
        "pools": {"p": {"members": [{"backend": "b"}]}},
        "models": {
            "a": {"pool": "p", "aliases": ["shared"]},
            "c": {"pool": "p", "aliases": ["shared"]},
        },
    }
    with pytest.raises(ConfigError, match="claimed by both"):
        parse_document(data, GatewayConfig, env={})
