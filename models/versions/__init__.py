"""Model versions: the immutable bundle on disk, its typed metadata, the registry and ACTIVE."""
