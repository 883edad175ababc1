"""Workspaces: each Slack workspace's installation (OAuth), its Tavus key, and the secrets
they hold, encrypted at rest (issue 11)."""
