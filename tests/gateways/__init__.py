"""Tests for auctioneer.gateways (in-process: a Connection driven directly)."""
