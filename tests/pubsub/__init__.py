"""Tests for auctioneer.pubsub."""
