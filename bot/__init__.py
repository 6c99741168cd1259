"""The bot process: configuration, command line, channel adapters, wiring."""
