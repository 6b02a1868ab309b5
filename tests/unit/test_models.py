import re

import pytest
from pydantic import SecretStr, ValidationError

from claworc_tui.models.instance import InstanceSpec, Provider, Resources, Storage
from claworc_tui.models.records import InstanceRecord
from claworc_tui.models.secrets import mask_key
from claworc_tui.models.settings import GlobalSettings


def test_bad_quantity_message_names_the_field_and_value() -> None:
    with pytest.raises(ValidationError, match='cpu_limit "2 cores" is not a Kubernetes quantity'):
        Resources(cpu_limit="2 cores")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cpu_request": "3", "cpu_limit": "2"}, 'cpu_request "3" is more than cpu_limit "2"'),
        (
            {"memory_request": "2Gi", "memory_limit": "2G"},
            'memory_request "2Gi" is more than memory_limit "2G"',
        ),
        ({"memory_limit": "0"}, 'memory_limit "0" must be greater than zero'),
        ({"memory_limit": "-1Gi"}, 'memory_limit "-1Gi" must be greater than zero'),
    ],
)
def test_requests_must_fit_limits(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Resources(**kwargs)


def test_request_equal_to_limit_in_other_units_is_fine() -> None:
    assert Resources(cpu_request="2", cpu_limit="2000m").cpu_limit == "2000m"


def test_storage_sizes_are_quantities() -> None:
    with pytest.raises(ValidationError, match='storage_chrome "five" is not'):
        Storage(chrome="five")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("[1, 2]", "must be a JSON object, not list"),
        ('"text"', "must be a JSON object, not str"),
        ('{"a": }', "not valid JSON: Expecting value at line 1 column 7"),
        ('{\n  "a": 1,\n}', "line 3 column 1"),
    ],
)
def test_clawdbot_config_must_be_a_json_object(config: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        InstanceSpec(display_name="x", clawdbot_config=config)


def test_display_name_length() -> None:
    with pytest.raises(ValidationError):
        InstanceSpec(display_name="")
    with pytest.raises(ValidationError):
        InstanceSpec(display_name="x" * 101)
    with pytest.raises(ValidationError, match="must not be blank"):
        InstanceSpec(display_name="   ")
    assert InstanceSpec(display_name="x" * 100).display_name == "x" * 100


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("display_name", "   ", "display_name must not be blank"),
        ("display_name", "a\u202eb", "control or bidi characters (U+202E)"),
        ("display_name", "x" * 101, "at most 100 characters"),
        ("image", "bad image", 'image "bad image" is not a valid image reference'),
        ("clawdbot_config", "[1]", "clawdbot.json must be a JSON object, not list"),
    ],
)
def test_an_imported_record_is_held_to_the_rules_of_a_new_instance(
    field: str, value: str, message: str
) -> None:
    record = {
        "name": "bot-a",
        "display_name": "A",
        "nodeport_chrome": 30100,
        "nodeport_terminal": 30101,
        "status": "running",
        "resources": Resources().model_dump(),
        "storage": Storage().model_dump(),
    }
    with pytest.raises(ValidationError, match=re.escape(message)):
        InstanceSpec.model_validate({"display_name": "A", field: value})
    with pytest.raises(ValidationError, match=re.escape(message)):
        InstanceRecord.model_validate({**record, field: value})
    assert InstanceRecord.model_validate({**record, "clawdbot_config": " "}).clawdbot_config is None


def test_spec_never_shows_a_key_in_repr_or_errors() -> None:
    key = "sk-ant-api03-" + "Z" * 30
    spec = InstanceSpec(display_name="x", api_keys={Provider.ANTHROPIC: SecretStr(key)})
    assert key not in repr(spec)
    assert key not in str(spec.model_dump())
    with pytest.raises(ValidationError) as info:
        InstanceSpec(display_name="x", api_keys={Provider.OPENAI: SecretStr(key + " x")})
    assert key not in str(info.value)


@pytest.mark.parametrize(
    ("key", "masked"),
    [
        ("sk-ant-api03.abcdefgh.ijklmnop9f2c", "sk-ant-…9f2c"),
        ("sk-proj-abcdefghijklmnopqrstuv1234", "sk-proj-…1234"),
        ("BSAabcdefghijklmnopqrstu77", "…tu77"),
        ("short-key", "••••••••"),
        ("", "(not set)"),
        (None, "(not set)"),
    ],
)
def test_mask_key(key: str | None, masked: str) -> None:
    assert mask_key(key) == masked
    assert mask_key(SecretStr(key) if key else None) == masked


def test_provider_env_vars() -> None:
    assert [p.env_var for p in Provider] == ["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "BRAVE_API_KEY"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"port_range_start": 30101}, "must be even"),
        ({"port_range_start": 30200, "port_range_end": 30100}, "must be above"),
        ({"port_range_start": 20000}, "greater than or equal to 30000"),
        ({"image": "glukw/openclaw-vnc-chrome:latest:latest"}, "not a valid image reference"),
        # A real cluster takes the Deployment but refuses every pod of it (FailedCreate:
        # "must not have leading or trailing whitespace"); the golden corpus shows it.
        ({"image": "glukw/openclaw-vnc-chrome:latest\n"}, "not a valid image reference"),
        ({"image": "nginx\n"}, "not a valid image reference"),
        ({"image_pull_secret": "Bad_Name"}, "not a valid Secret name"),
        ({"node_host": "bad host"}, "not a host name"),
    ],
)
def test_global_settings_validation(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        GlobalSettings(**kwargs)


def test_default_settings() -> None:
    settings = GlobalSettings()
    assert settings.image == "glukw/openclaw-vnc-chrome:latest"
    assert settings.port_pairs == 50


def test_clawdbot_config_fits_in_a_configmap() -> None:
    """A ConfigMap holds at most 1 MiB of values (the apiserver answers 422 above that), so a
    bigger clawdbot.json is refused before anything is sent."""
    padding = " " * (1024 * 1024 - len('{"a": ""}'))
    fits = '{"a": "' + padding + '"}'
    assert len(fits.encode()) == 1024 * 1024
    assert InstanceSpec(display_name="Bot", clawdbot_config=fits).clawdbot_config == fits
    too_big = '{"a": "' + padding + 'x"}'
    with pytest.raises(ValidationError, match="1048576"):
        InstanceSpec(display_name="Bot", clawdbot_config=too_big)
    # Bytes count, not characters.
    wide = '{"a": "' + "é" * (512 * 1024) + '"}'
    with pytest.raises(ValidationError, match="1048576"):
        InstanceSpec(display_name="Bot", clawdbot_config=wide)
