"""Workspaces and their members: roles, API tokens, who is acting (a Principal)."""
