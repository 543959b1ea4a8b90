"""Built-in source formats, one module each; ``unmask.ingest.registry`` finds them."""
