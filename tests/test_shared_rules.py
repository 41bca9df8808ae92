"""The OneSignal info rules, read by Python as tests/vectors say. The page's
JavaScript runs the same vectors in tests/browser/test_shared_rules_browser.py."""

import pytest

from demo_app.devices.info import Info, message, normalise

from .vectors import INFO_FIELDS, info_vectors

INFO = info_vectors()


def test_vector_names_are_unique_and_fields_known():
    assert len({v["name"] for v in INFO}) == len(INFO)
    for vector in INFO:
        assert set(vector["normalised"]) <= set(INFO_FIELDS), vector["name"]
        assert "shape" in vector["normalised"], vector["name"]


@pytest.mark.parametrize("vector", INFO, ids=[v["name"] for v in INFO])
def test_python_reads_info_as_the_vectors_say(vector):
    info = normalise(vector["input"])
    assert {name: getattr(info, name) for name in INFO_FIELDS} == vector["expected"]
    assert info.codes == vector["warnings"]


def test_every_warning_code_has_words():
    codes = {code for vector in INFO for code in vector["warnings"]}
    assert codes, "the vectors name no warning"
    for code in codes:
        assert message(code, Info()) != code
