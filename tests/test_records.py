"""Records from a person's files: a bad one names its file and line, or is skipped and counted."""

from __future__ import annotations

import json

import pytest
from factories import make_order_data

from fraud.records import (
    BadRecord,
    load_records,
    parse_order_record,
    parse_outcome_record,
)
from fraud.simulate import read_outcomes
from fraud.simulate.io import write_table


def test_a_bad_json_line_names_file_and_line(tmp_path) -> None:
    path = tmp_path / "orders.jsonl"
    path.write_text(json.dumps(make_order_data()) + "\n\n[1, 2]\n", encoding="utf-8")
    with pytest.raises(BadRecord, match=r"orders.jsonl:3: expected a JSON object, got list"):
        load_records(path, parse_order_record)


def test_skip_bad_keeps_the_good_records_and_a_message_per_bad_one(tmp_path) -> None:
    path = tmp_path / "orders.jsonl"
    rows = [json.dumps(make_order_data(order_id="O-1")), "{",
            json.dumps(make_order_data(order_id="O-2", ip_address="not an ip"))]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    loaded = load_records(path, parse_order_record, skip_bad=True)
    assert [o.order_id for o in loaded.items] == ["O-1"]
    assert loaded.skipped[0].startswith(f"{path}:2: malformed JSON")
    assert loaded.skipped[1].startswith(f"{path}:3: ip_address")


def test_a_csv_record_is_numbered_by_its_line_in_the_file(tmp_path) -> None:
    path = tmp_path / "orders.csv"
    good, bad = make_order_data(order_id="O-1"), make_order_data(order_id="O-2")
    bad["payment"]["currency"] = "XXX"
    write_table([good, bad], path, "csv")
    with pytest.raises(BadRecord, match=r"orders.csv:3: payment.currency"):
        load_records(path, parse_order_record)


def test_outcome_records_name_unknown_outcomes_and_missing_fields(tmp_path) -> None:
    path = tmp_path / "outcomes.csv"
    path.write_text("order_id,outcome,at\nO-1,paid,2026-01-01T00:00:00+00:00\n"
                    "O-2,stolen,2026-01-01T00:00:00+00:00\nO-3,paid,yesterday\n",
                    encoding="utf-8")
    loaded = load_records(path, parse_outcome_record, skip_bad=True, read_table=read_outcomes)
    assert [e.order_id for e in loaded.items] == ["O-1"]
    assert "outcomes.csv:3: unknown outcome 'stolen'; allowed: paid" in loaded.skipped[0]
    assert "outcomes.csv:4: " in loaded.skipped[1] and "yesterday" in loaded.skipped[1]


def test_a_folder_or_a_missing_file_is_one_clear_error(tmp_path) -> None:
    with pytest.raises(BadRecord, match="is a directory, expected a file"):
        load_records(tmp_path, parse_order_record)
    with pytest.raises(BadRecord, match="no such file"):
        load_records(tmp_path / "missing.jsonl", parse_order_record)


def test_a_truncated_gzip_file_is_one_clear_error(tmp_path) -> None:
    import gzip

    data = gzip.compress((json.dumps(make_order_data()) + "\n").encode() * 50)
    path = tmp_path / "orders.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(BadRecord, match="cannot be read"):
        load_records(path, parse_order_record)
