"""Each function's settings: everything template.yaml gives it is required, the local provisioning sets all of it,
and a missing variable fails the cold start naming the variable (not a request later with an empty name)."""

from __future__ import annotations

import os
from typing import Any
from unittest import mock

import pytest

from tfnis.storage.settings import FUNCTION_SETTINGS, MissingSetting


def test_each_function_reads_settings_of_its_own_which_the_provisioned_environment_fills(aws: Any) -> None:
    assert set(FUNCTION_SETTINGS) == set(aws.functions)
    for logical_id, settings_class in FUNCTION_SETTINGS.items():
        with mock.patch.dict(os.environ, aws.functions[logical_id].environment, clear=True):
            settings = settings_class.from_env()
        required = [name for name, field in settings_class.model_fields.items() if field.is_required()]
        assert "submissions_table" in required, logical_id
        assert all(getattr(settings, name) is not None for name in required), logical_id


def test_a_missing_or_empty_variable_fails_at_once_and_is_named(aws: Any) -> None:
    for logical_id, settings_class in FUNCTION_SETTINGS.items():
        environment = dict(aws.functions[logical_id].environment)
        environment.pop("SUBMISSIONS_TABLE")
        environment["DATA_KEY_ID"] = ""
        with mock.patch.dict(os.environ, environment, clear=True), pytest.raises(MissingSetting) as raised:
            settings_class.from_env()
        assert "SUBMISSIONS_TABLE" in str(raised.value) and "DATA_KEY_ID" in str(raised.value), logical_id
