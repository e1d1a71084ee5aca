"""TrainConfig: validation messages, round trips through dict/JSON/URL strings."""

import json

import pytest

from graphcl_core.config import TrainConfig
from graphcl_core.errors import ConfigError, GraphCLError


def test_defaults_validate_and_round_trip():
    cfg = TrainConfig()
    assert cfg.validate() is cfg
    assert TrainConfig.from_dict(json.loads(cfg.to_json())) == cfg


def test_from_dict_coerces_url_strings_and_ignores_unknown_keys():
    cfg = TrainConfig.from_dict({"margin": "1.5", "hidden": "64", "projection_head": "true", "graph": "karate"})
    assert cfg.margin == 1.5 and cfg.hidden == 64 and cfg.projection_head is True


@pytest.mark.parametrize("change,needle", [
    ({"margin": 0}, "margin"), ({"lr": 5}, "learning rate"), ({"hidden": 0}, "hidden size"),
    ({"loss": "nope"}, "Unknown loss"), ({"pairs": "x"}, "pair strategy"), ({"device": "tpu"}, "device"),
    ({"dropout": 1.0}, "Dropout"), ({"epochs": 0}, "Epochs"), ({"tau": 0}, "temperature"),
])
def test_bad_values_give_plain_messages(change, needle):
    with pytest.raises(ConfigError, match=needle):
        TrainConfig(**change).validate()


def test_non_numeric_string_is_a_config_error():
    with pytest.raises(GraphCLError, match="must be a number"):
        TrainConfig.from_dict({"hidden": "lots"})


def test_field_limits_cover_numeric_fields_and_hold_the_defaults():
    from dataclasses import fields

    from graphcl_core.config import FIELD_LIMITS

    numeric = {f.name for f in fields(TrainConfig) if f.type in ("int", "float")}
    assert set(FIELD_LIMITS) == numeric
    for name, limit in FIELD_LIMITS.items():
        assert getattr(TrainConfig(), name) in limit, name


@pytest.mark.parametrize("name", ["margin", "lr", "dropout", "epochs", "hidden", "seed", "weight_decay"])
def test_validate_uses_the_limits_table_at_both_ends(name):
    from graphcl_core.config import FIELD_LIMITS

    limit = FIELD_LIMITS[name]
    kind = type(getattr(TrainConfig(), name))
    for bound, is_open, outside in ((limit.lo, limit.lo_open, -1), (limit.hi, limit.hi_open, 1)):
        if bound is None:
            continue
        bad = kind(bound) if is_open else kind(bound + outside * (1 if kind is int else 1e-9))
        with pytest.raises(ConfigError, match=limit.what):
            TrainConfig(**{name: bad}).validate()
        if not is_open:
            TrainConfig(**{name: kind(bound)}).validate()
    with pytest.raises(ConfigError):
        TrainConfig(**{name: float("nan")}).validate()
