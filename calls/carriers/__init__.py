"""Carrier packages: one per telephony provider, each behind the same small interface."""
