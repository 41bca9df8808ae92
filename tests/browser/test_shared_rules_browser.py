"""The page's own rules (static/js/onesignal-info.js, loaded as the site serves
it) read every case of tests/vectors as Python does: OneSignal info objects
and external ids."""

import json

import pytest

from ..vectors import external_id_vectors, info_vectors, snake

pytestmark = pytest.mark.browser

# Runs in the page: the vectors arrive as JSON text and are parsed there, as
# the app's payloads are, so numbers a browser rounds are rounded here too.
READ_INFO = """async (text) => {
  const rules = await import("/static/js/onesignal-info.js");
  return JSON.parse(text).map(([input, kind]) => {
    const n = rules.normalise(input, kind);
    return { normalised: n, problems: rules.problems(n) };
  });
}"""


def test_page_reads_info_as_the_vectors_say(page, live_server):
    vectors = info_vectors()
    page.goto(live_server.url + "/")
    answers = page.evaluate(READ_INFO, json.dumps([[v["input"], v["kind"]] for v in vectors]))
    wrong = []
    for vector, answer in zip(vectors, answers, strict=True):
        n = {snake(key): value for key, value in answer["normalised"].items()}
        got = {name: n.get(name, "(missing)") for name in vector["expected"]}
        if got != vector["expected"] or n.get("warnings") != vector["warnings"]:
            wrong.append((vector["name"], got, n.get("warnings")))
        # every warning is put in words, one sentence each
        assert len(answer["problems"]) == len(n.get("warnings", [])), vector["name"]
        assert not set(answer["problems"]) & set(n.get("warnings", [])), vector["name"]
    assert wrong == []
    assert page.errors == []


JUDGE_EXTERNAL_IDS = """async (values) => {
  const rules = await import("/static/js/onesignal-info.js");
  return values.map((value) => [rules.externalIdCode(value), rules.externalIdProblem(value)]);
}"""


def test_page_judges_external_ids_as_the_vectors_say(page, live_server):
    vectors = external_id_vectors()
    page.goto(live_server.url + "/")
    answers = page.evaluate(JUDGE_EXTERNAL_IDS, [v["value"] for v in vectors])
    got = {v["name"]: code for v, (code, _) in zip(vectors, answers, strict=True)}
    assert got == {v["name"]: v["code"] for v in vectors}
    assert all((words is None) == (code is None) for code, words in answers)
