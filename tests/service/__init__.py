"""Tests for auctioneer.service."""
