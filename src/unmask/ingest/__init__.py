"""Turning platform exports into the common schema: adapters, validation and quarantine."""

from unmask.ingest.pipeline import IngestResult, ingest_file

__all__ = ["IngestResult", "ingest_file"]
