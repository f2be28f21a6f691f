"""Connecting accounts and keeping them connected: channels and their credentials (SSM), each network's
consent page (OAuth 2.0; one small provider module per network, `x` for X's PKCE flow), parley's own apps,
one token upkeep for every network, and the adapter a channel is served by (`adapters`).
"""
