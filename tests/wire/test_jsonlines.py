"""The sans-I/O JSON-lines framer: bytes in, whole lines out, with a size limit."""

from __future__ import annotations

import pytest

from auctioneer.wire.jsonlines import DEFAULT_MAX_LINE_BYTES, JsonLinesFramer, LineTooLong


def test_default_limit_is_the_protocols_65536_bytes() -> None:
    assert DEFAULT_MAX_LINE_BYTES == 65_536
    assert JsonLinesFramer().max_line_bytes == 65_536


def test_one_chunk_with_several_lines_gives_each_line_in_order() -> None:
    framer = JsonLinesFramer()
    framer.receive_data(b'{"a":1}\n{"b":2}\n{"c":3}\n')
    assert framer.lines_received() == [b'{"a":1}', b'{"b":2}', b'{"c":3}']


def test_lines_received_forgets_what_it_returned() -> None:
    framer = JsonLinesFramer()
    framer.receive_data(b"one\n")
    assert framer.lines_received() == [b"one"]
    assert framer.lines_received() == []


def test_crlf_line_endings_are_stripped() -> None:
    framer = JsonLinesFramer()
    framer.receive_data(b'{"a":1}\r\n{"b":2}\r\n')
    assert framer.lines_received() == [b'{"a":1}', b'{"b":2}']


def test_only_one_trailing_carriage_return_is_stripped() -> None:
    framer = JsonLinesFramer()
    framer.receive_data(b"x\r\r\n")
    assert framer.lines_received() == [b"x\r"]


def test_blank_and_whitespace_only_lines_are_skipped() -> None:
    framer = JsonLinesFramer()
    framer.receive_data(b"\n\r\n   \n\t\r\n{}\n\n")
    assert framer.lines_received() == [b"{}"]


def test_a_partial_line_waits_for_its_newline() -> None:
    framer = JsonLinesFramer()
    framer.receive_data(b'{"act')
    assert framer.lines_received() == []
    framer.receive_data(b'ion":')
    assert framer.lines_received() == []
    framer.receive_data(b'"ping"}\n{"nex')
    assert framer.lines_received() == [b'{"action":"ping"}']
    framer.receive_data(b't":1}\n')
    assert framer.lines_received() == [b'{"next":1}']


def test_a_line_fed_one_byte_at_a_time_comes_out_whole() -> None:
    framer = JsonLinesFramer()
    for byte in b'{"id":"r1"}\r\n':
        framer.receive_data(bytes([byte]))
    assert framer.lines_received() == [b'{"id":"r1"}']


def test_empty_data_changes_nothing() -> None:
    framer = JsonLinesFramer()
    framer.receive_data(b"par")
    framer.receive_data(b"")
    framer.receive_data(b"t\n")
    assert framer.lines_received() == [b"part"]


def test_a_line_exactly_at_the_limit_is_accepted() -> None:
    framer = JsonLinesFramer(max_line_bytes=10)
    framer.receive_data(b"x" * 10 + b"\n")
    assert framer.lines_received() == [b"x" * 10]
    assert not framer.failed


def test_a_partial_line_exactly_at_the_limit_is_kept_waiting() -> None:
    framer = JsonLinesFramer(max_line_bytes=10)
    framer.receive_data(b"x" * 10)
    assert not framer.failed
    framer.receive_data(b"\n")
    assert framer.lines_received() == [b"x" * 10]


def test_a_line_at_the_limit_with_crlf_is_accepted() -> None:
    framer = JsonLinesFramer(max_line_bytes=10)
    framer.receive_data(b"x" * 10 + b"\r\n")
    assert framer.lines_received() == [b"x" * 10]


def test_a_line_at_the_limit_with_crlf_split_between_reads_is_accepted() -> None:
    framer = JsonLinesFramer(max_line_bytes=10)
    framer.receive_data(b"x" * 10 + b"\r")
    framer.receive_data(b"\n")
    assert framer.lines_received() == [b"x" * 10]


def test_a_pending_carriage_return_followed_by_more_text_counts_again() -> None:
    framer = JsonLinesFramer(max_line_bytes=10)
    framer.receive_data(b"x" * 10 + b"\r")
    with pytest.raises(LineTooLong):
        framer.receive_data(b"y")


def test_a_complete_line_over_the_limit_fails() -> None:
    framer = JsonLinesFramer(max_line_bytes=10)
    with pytest.raises(LineTooLong) as caught:
        framer.receive_data(b"x" * 11 + b"\n")
    assert framer.failed
    assert caught.value.limit == 10
    assert caught.value.code == "message_too_large"
    assert str(caught.value) == "Message larger than 10 bytes"


def test_a_partial_line_over_the_limit_fails_before_its_newline() -> None:
    framer = JsonLinesFramer(max_line_bytes=10)
    framer.receive_data(b"x" * 6)
    with pytest.raises(LineTooLong):
        framer.receive_data(b"x" * 5)
    assert framer.failed


def test_lines_before_an_over_limit_line_are_still_delivered() -> None:
    framer = JsonLinesFramer(max_line_bytes=10)
    with pytest.raises(LineTooLong):
        framer.receive_data(b"ok\n" + b"y" * 20 + b"\nlater\n")
    assert framer.lines_received() == [b"ok"]


def test_data_after_a_failure_is_ignored() -> None:
    framer = JsonLinesFramer(max_line_bytes=10)
    with pytest.raises(LineTooLong):
        framer.receive_data(b"y" * 20)
    framer.receive_data(b"fine\n")  # no second raise, and nothing delivered
    assert framer.lines_received() == []
    assert framer.failed


def test_the_limit_does_not_count_earlier_complete_lines() -> None:
    framer = JsonLinesFramer(max_line_bytes=10)
    framer.receive_data(b"a" * 10 + b"\n" + b"b" * 10 + b"\n" + b"c" * 5)
    framer.receive_data(b"c" * 5 + b"\n")
    assert framer.lines_received() == [b"a" * 10, b"b" * 10, b"c" * 10]


def test_frame_appends_a_newline() -> None:
    assert JsonLinesFramer.frame(b'{"ok":true}') == b'{"ok":true}\n'
