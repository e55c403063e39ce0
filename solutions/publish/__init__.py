"""Site tooling: printed numbers and tables (``report``), figures (``plotting``), notebooks (``notebooks``, ``pages.toml``)."""
