"""Who may call what: API keys (hashed), tenants and roles, rate limits."""
