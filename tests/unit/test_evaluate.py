"""pipeline.devtools.evaluate: loading gold files, the metrics and the report; the dev set's coverage of the spec.

The quality gate (held-out data only) is in test_detect_quality.py.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from pipeline.core.model import Classification
from pipeline.core.topics import TOPICS
from pipeline.devtools.evaluate import (
    REAL,
    REAL_TOPIC_TARGET,
    TARGETS,
    EvalReport,
    GoldFileError,
    GoldItem,
    evaluate,
    format_report,
    load_gold,
    run_eval,
)

DATA = Path(__file__).resolve().parents[1] / "data"
DEV = DATA / "dev.jsonl"
HOLDOUT = DATA / "holdout.jsonl"


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def row(**fields: object) -> str:
    base: dict[str, object] = {
        "id": "a",
        "title": "India, US sign pact",
        "summary": "",
        "relevant": True,
        "topics": ["trade"],
    }
    base.update(fields)
    return json.dumps({k: v for k, v in base.items() if v is not ...})


# --- loading --------------------------------------------------------------------------------


def test_load_gold_reads_items_and_categories(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        row(),
        "",
        row(id=7, relevant=False, topics=[], body="B", language="hi", category=["hindi", "hard_negative:x"]),
    )
    items = load_gold(path)
    assert items[0] == GoldItem(id="a", title="India, US sign pact", relevant=True, topics=("trade",))
    assert items[1].id == "7" and items[1].body == "B" and items[1].language == "hi"
    assert items[1].categories == ("hindi", "hard_negative:x")


def test_topics_are_kept_in_topic_set_order(tmp_path: Path) -> None:
    assert load_gold(write(tmp_path, row(topics=["technology", "trade"])))[0].topics == ("trade", "technology")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        (row(id=...), "'id' must be"),
        (row(id=""), "'id' must be"),
        (row(title=""), "'title' must be a non-empty string"),
        (row(summary=3), "'summary' must be a string"),
        (row(relevant="yes"), "'relevant' must be true or false"),
        (row(topics="trade"), "'topics' must be a list"),
        (row(topics=["sports"]), "unknown topic(s) ['sports']"),
        (row(relevant=False), "cannot have topics"),
        (row(topics=["trade", "trade"]), "lists a topic twice"),
        (row(category=3), "'category' must be"),
        (row(category="hard_negative:us_china_trade"), "must have relevant: false"),
        (row(language=5), "'language' must be a string"),
    ],
)
def test_each_bad_line_is_named_with_file_line_and_problem(tmp_path: Path, line: str, message: str) -> None:
    path = write(tmp_path, row(id="ok"), line)
    with pytest.raises(GoldFileError) as caught:
        load_gold(path)
    assert f"{path}:2:" in str(caught.value)
    assert message in str(caught.value)


def test_every_bad_line_is_reported_at_once(tmp_path: Path) -> None:
    path = write(tmp_path, "{", row(), row(), "[]")
    with pytest.raises(GoldFileError) as caught:
        load_gold(path)
    text = str(caught.value)
    assert f"{path}:1:" in text and f"{path}:3: duplicate id 'a' (first on line 2)" in text and f"{path}:4:" in text


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(GoldFileError, match="cannot read"):
        load_gold(tmp_path / "nope.jsonl")
    with pytest.raises(GoldFileError, match="no labelled items"):
        load_gold(write(tmp_path, "", "  "))


# --- metrics --------------------------------------------------------------------------------


def fake(verdicts: dict[str, tuple[bool, tuple[str, ...]]]) -> object:
    def classify(title: str, summary: str, body: str, language: str | None) -> Classification:
        relevant, topics = verdicts[title]
        return Classification(relevant, 0.9 if relevant else 0.1, topics, evidence={"rule": "r", "language": "en"})

    return classify


def test_metrics_are_computed_over_all_items() -> None:
    items = [
        GoldItem("1", "a", relevant=True, topics=("trade", "energy"), language="en"),
        GoldItem("2", "b", relevant=True, topics=("defense",), language="en"),
        GoldItem("3", "c", relevant=False, categories=("hard_negative:sports",), language="hi"),
        GoldItem("4", "d", relevant=False, categories=("false_friend:indiana", "hard_negative:sports")),
    ]
    verdicts = {"a": (True, ("trade",)), "b": (False, ()), "c": (True, ("diplomacy",)), "d": (False, ())}
    report = evaluate(items, fake(verdicts))  # type: ignore[arg-type]
    assert (report.relevance.tp, report.relevance.fp, report.relevance.fn) == (1, 1, 1)
    assert report.relevance.precision == 0.5 and report.relevance.recall == 0.5
    assert report.relevance_accuracy == 0.5
    assert (report.topic_micro.tp, report.topic_micro.fp, report.topic_micro.fn) == (1, 1, 2)
    assert report.topics["trade"].f1 == 1.0 and report.topics["energy"].recall == 0.0
    assert report.topics["diplomacy"].precision == 0.0
    assert report.hard_negatives.total == 2 and report.hard_negatives.correct == 1  # item 4 counted once
    assert report.categories["hard_negative:sports"].accuracy == 0.5
    assert report.categories["false_friend:indiana"].accuracy == 1.0
    assert report.language_checked == 3 and report.language_correct == 2
    assert [(m.id, m.kind) for m in report.misses] == [
        ("1", "topics"),
        ("2", "false_negative"),
        ("3", "false_positive"),
    ]
    assert report.targets()["relevance_f1"] == (0.5, TARGETS["relevance_f1"], False)
    assert not report.targets_met


def test_topic_target_is_on_gold_relevant_items_and_follows_the_kind_of_data() -> None:
    # A false positive's topics do not count against the topic target; a missed item's gold topics do.
    items = [
        GoldItem("1", "a", relevant=True, topics=("trade",)),
        GoldItem("2", "b", relevant=True, topics=("energy",)),
        GoldItem("3", "c", relevant=False),
    ]
    verdicts = {"a": (True, ("trade",)), "b": (False, ()), "c": (True, ("defense", "diplomacy"))}
    written = evaluate(items, fake(verdicts))  # type: ignore[arg-type]
    assert (written.relevant_topics.tp, written.relevant_topics.fp, written.relevant_topics.fn) == (1, 0, 1)
    assert (written.topic_micro.tp, written.topic_micro.fp, written.topic_micro.fn) == (1, 2, 1)
    assert written.targets()["topic_micro_f1"] == (written.relevant_topics.f1, TARGETS["topic_micro_f1"], False)
    real = evaluate([replace(item, categories=(REAL,)) for item in items], fake(verdicts))  # type: ignore[arg-type]
    assert real.real and not written.real
    assert real.targets()["topic_micro_f1"][1] == REAL_TOPIC_TARGET < TARGETS["topic_micro_f1"]
    assert "topic_micro_f1 (relevant items)" in format_report(real)


def test_report_text_and_json() -> None:
    items = [GoldItem("x1", "a", relevant=True, topics=("trade",))]
    report = evaluate(items, fake({"a": (False, ())}))  # type: ignore[arg-type]
    text = format_report(report)
    for needle in (
        "relevance:",
        "precision",
        "micro",
        "trade",
        "hard negatives",
        "targets:",
        "NOT MET",
        "misclassified (1)",
        "x1 [false_negative]",
        "rule r",
    ):
        assert needle in text, needle
    assert "misclassified" not in format_report(report, show_errors=False)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["relevance"]["fn"] == 1 and data["misses"][0]["id"] == "x1"
    assert set(data["topics"]) == set(TOPICS)


def test_run_eval_exit_codes_and_outputs(tmp_path: Path) -> None:
    good = write(tmp_path, row(title="India, US sign trade pact", summary="Tariffs on farm goods will fall."))
    out = io.StringIO()
    assert run_eval(str(good), out) == 0
    assert "relevance:" in out.getvalue() and "precision-recall over the threshold" in out.getvalue()
    out = io.StringIO()
    assert run_eval(str(good), out, json_out=True) == 0
    assert json.loads(out.getvalue())["items"] == 1
    assert len(json.loads(out.getvalue())["pr_curve"]) == 19
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{\n", encoding="utf-8")
    out = io.StringIO()
    assert run_eval(str(bad), out) == 1
    assert "invalid labels" in out.getvalue() and f"{bad}:1:" in out.getvalue()
    out = io.StringIO()
    assert run_eval(str(bad), out, json_out=True) == 1
    assert "error" in json.loads(out.getvalue())


# --- the development set and the quality gate -------------------------------------------------


@pytest.fixture(scope="module")
def dev_report() -> EvalReport:
    return evaluate(load_gold(DEV))


def test_dev_set_covers_the_spec() -> None:
    items = load_gold(DEV)
    assert len(items) >= 400
    share = sum(item.relevant for item in items) / len(items)
    assert 0.35 <= share <= 0.45
    topics = Counter(topic for item in items for topic in item.topics)
    assert all(topics[name] >= 25 for name in TOPICS), topics
    assert sum(1 for item in items if len(item.topics) > 1) >= 50
    categories = {tag for item in items for tag in item.categories}
    for case in (
        "us_china_trade",
        "us_mexico_immigration",
        "india_pakistan_defence",
        "india_china_defence",
        "india_domestic_politics",
        "us_domestic_politics",
        "india_russia_oil",
        "list_of_countries",
        "sports",
    ):
        assert f"hard_negative:{case}" in categories, case
    for case in (
        "indiana",
        "indianapolis",
        "indian_wells",
        "american_indian",
        "west_indies",
        "indian_ocean",
        "india_pale_ale",
    ):
        assert f"false_friend:{case}" in categories, case
    hindi = [item for item in items if item.language == "hi"]
    assert any(item.relevant for item in hindi) and any(not item.relevant for item in hindi)
    assert sum(1 for item in items if item.body) >= 20


def test_holdout_is_a_valid_separate_gold_file() -> None:
    holdout, dev = load_gold(HOLDOUT), load_gold(DEV)
    assert len(holdout) >= 80
    assert not {item.title for item in holdout} & {item.title for item in dev}


def test_every_hard_negative_category_is_mostly_right(dev_report: EvalReport) -> None:
    for tag, result in dev_report.categories.items():
        if tag.startswith(("hard_negative:", "false_friend:")):
            assert result.accuracy >= 0.8, (tag, result)


def test_language_is_detected_for_the_dev_set(dev_report: EvalReport) -> None:
    assert dev_report.language_accuracy >= 0.98


def test_eval_needs_exactly_one_source(capsys: pytest.CaptureFixture[str]) -> None:
    from pipeline.app.cli import main

    assert main(["eval"]) == 2
    assert "--gold FILE or --real" in capsys.readouterr().err


def test_run_eval_on_the_real_items_cross_validates() -> None:
    out = io.StringIO()
    assert run_eval(None, out, json_out=True, real="", folds=2) == 0
    report = json.loads(out.getvalue())
    assert report["items"] == 446 and report["relevant_items"] == 23
    assert report["without_uncertain"]["items"] == 446 - 13
    assert [point["threshold"] for point in report["pr_curve"]][:2] == [0.05, 0.1]
    assert sum(b["items"] for b in report["reliability"]["bins"]) == 446
