"""unmask: find covert influence operations in social-media data, and prove them."""

__version__ = "0.1.0"
