"""Service clients: services that obtain tokens of their own by client credentials."""
