"""The agent console: accounts and sessions, the handoff desk, live events, its JSON API."""
