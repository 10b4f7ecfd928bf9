"""Shared building blocks for the shop's services: nothing domain-specific lives here."""
