"""The port types: frames shared by every subscriber."""

from __future__ import annotations

import dataclasses

import pytest

from auctioneer.service.ports import Frame


def test_a_frame_carries_its_encoded_bytes_and_seq() -> None:
    frame = Frame('{"event":"bid_placed","data":{"name":"Lámpara"}}'.encode(), 4)
    assert frame.data.decode() == '{"event":"bid_placed","data":{"name":"Lámpara"}}'
    assert (frame.seq, frame.hides) == (4, False)


def test_a_frame_without_a_seq_belongs_to_a_latest_value_feed() -> None:
    assert Frame(b"{}").seq is None


def test_frames_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Frame(b"{}").seq = 1  # type: ignore[misc]
