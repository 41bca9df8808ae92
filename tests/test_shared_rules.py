"""The OneSignal info and external id rules, as Python applies them to the
cases in tests/vectors. The page's JavaScript runs the same vectors in
tests/browser/test_shared_rules_browser.py."""

import pytest

from demo_app.devices.external_id import MESSAGES, problem_code, problem_with
from demo_app.devices.info import Info, message, normalise

from .vectors import INFO_FIELDS, external_id_vectors, info_vectors

INFO = info_vectors()
EXTERNAL_IDS = external_id_vectors()


def test_vector_names_are_unique_and_fields_known():
    assert len({v["name"] for v in INFO}) == len(INFO)
    for vector in INFO:
        assert set(vector["normalised"]) <= set(INFO_FIELDS), vector["name"]
        assert "shape" in vector["normalised"], vector["name"]


@pytest.mark.parametrize("vector", INFO, ids=[v["name"] for v in INFO])
def test_python_reads_info_as_the_vectors_say(vector):
    info = normalise(vector["input"], kind=vector["kind"])
    assert {name: getattr(info, name) for name in INFO_FIELDS} == vector["expected"]
    assert info.codes == vector["warnings"]


def test_every_warning_code_has_words():
    codes = {code for vector in INFO for code in vector["warnings"]}
    assert codes, "the vectors name no warning"
    for code in codes:
        assert message(code, Info()) != code


@pytest.mark.parametrize("vector", EXTERNAL_IDS, ids=[v["name"] for v in EXTERNAL_IDS])
def test_python_judges_external_ids_as_the_vectors_say(vector):
    assert problem_code(vector["value"]) == vector["code"]
    words = problem_with(vector["value"])
    assert (words is None) == (vector["code"] is None)


def test_every_external_id_code_is_in_the_vectors():
    assert {v["code"] for v in EXTERNAL_IDS} == set(MESSAGES) | {None}
