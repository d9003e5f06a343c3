"""Tests for auctioneer.wire."""
