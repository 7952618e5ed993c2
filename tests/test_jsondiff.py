"""wskit.jsondiff: differences between JSON values, each naming its JSONPath."""

from __future__ import annotations

from wskit import jsondiff


def test_equal_values_have_no_difference() -> None:
    assert jsondiff.diff({"a": [1, {"b": None}]}, {"a": [1, {"b": None}]}) == []


def test_each_difference_names_its_path() -> None:
    assert jsondiff.diff({"a": 1, "b": [1, 2], "c": "x"}, {"a": 2, "b": [1], "d": True}) == [
        "$.a: expected 1, got 2",
        "$.b: expected 2 items, got 1",
        "$.b[1]: missing (expected 2)",
        '$.c: missing (expected "x")',
        "$.d: unexpected true",
    ]


def test_types_count_as_on_the_wire() -> None:
    assert jsondiff.diff([1, 1, 0], [1.0, True, False]) == [
        "$[0]: expected 1, got 1.0",
        "$[1]: expected 1, got true",
        "$[2]: expected 0, got false",
    ]


def test_odd_keys_are_quoted() -> None:
    assert jsondiff.diff({"user name": {"x-y": 1}}, {"user name": {"x-y": 2}}) == [
        '$["user name"]["x-y"]: expected 1, got 2'
    ]


def test_subset_allows_more_keys_but_not_other_values() -> None:
    got = {"op": "add", "id": 7, "items": [{"n": 1, "extra": 0}]}
    assert jsondiff.diff({"op": "add", "items": [{"n": 1}]}, got, subset=True) == []
    assert jsondiff.diff({"op": "sub"}, got, subset=True) == ['$.op: expected "sub", got "add"']
    assert jsondiff.diff({"items": []}, got, subset=True) == ["$.items: expected 0 items, got 1"]


def test_long_lists_of_differences_are_cut() -> None:
    lines = jsondiff.diff(list(range(50)), [-1] * 50, limit=5)
    assert lines[:4] == [
        "$[0]: expected 0, got -1",
        "$[1]: expected 1, got -1",
        "$[2]: expected 2, got -1",
        "$[3]: expected 3, got -1",
    ]
    assert lines[4] == "… and 46 more differences"


def test_render_cuts_long_values() -> None:
    assert jsondiff.render("x" * 100, limit=10) == '"xxxxxxxx…'
    assert jsondiff.render(object()).startswith("<object object")
