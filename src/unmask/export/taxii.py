"""Push a run's STIX bundle to a TAXII 2.1 collection, with ``taxii2-client`` (the ``taxii``
extra).

The objects of ``bundle.json`` go to the collection's Add Objects endpoint (OASIS, "TAXII
Version 2.1", section 5.4) in envelopes no larger than the API root's
``max_content_length``, and the command waits for each status. Pushing the same run again
adds nothing: the bundle's ids and ``modified`` times are deterministic
(``unmask.export.stix``), and a TAXII server keeps one copy of an object version (the same
id and ``modified``), so it reports the objects as already there (medallion, the OASIS
reference server, counts them as failures: "Unable to process object").

What goes wrong is one line for the user (``unmask.errors``): a server that cannot be
reached or that fails (exit code 1), a user or password it refuses, or an API root or
collection it does not have (exit code 2: the options are wrong).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from unmask.errors import InputError, UnmaskError, missing_extra

# An envelope's JSON without its objects, and each object's separator: what a request
# adds to the objects' own size.
_ENVELOPE = len(b'{"objects": []}')
_SEPARATOR = len(b", ")
# Used when an API root does not say (max_content_length is required, but not everywhere).
DEFAULT_MAX_CONTENT_LENGTH = 1_000_000


@dataclass(frozen=True)
class Pushed:
    """What the server said about the objects sent: added, not added (already there, or
    refused), pending, over ``requests`` envelopes."""

    sent: int
    added: int
    not_added: int
    pending: int
    requests: int


def envelopes(objects: list[dict[str, Any]], limit: int) -> Iterator[list[dict[str, Any]]]:
    """``objects`` in groups whose envelope's JSON stays within ``limit`` bytes; an
    ``InputError`` for an object that no envelope of that size can hold."""
    group: list[dict[str, Any]] = []
    size = _ENVELOPE
    for obj in objects:
        n = len(json.dumps(obj, ensure_ascii=False).encode()) + _SEPARATOR
        if _ENVELOPE + n > limit:
            raise InputError(
                f"{obj.get('id')} is {n - _SEPARATOR:,} bytes, more than the {limit:,} the TAXII API root "
                "takes in one request (its max_content_length)"
            )
        if group and size + n > limit:
            yield group
            group, size = [], _ENVELOPE
        group.append(obj)
        size += n
    if group:
        yield group


def push(
    bundle: Path,
    api_root: str,
    collection_id: str,
    *,
    user: str | None = None,
    password: str | None = None,
) -> Pushed:
    """Send the objects of the STIX bundle at ``bundle`` to the collection
    ``collection_id`` of the TAXII 2.1 API root at ``api_root``."""
    with missing_extra("the TAXII push", "taxii"):
        import requests
        from taxii2client.exceptions import TAXIIServiceException
        from taxii2client.v21 import ApiRoot

    objects = json.loads(bundle.read_text(encoding="utf-8"))["objects"]
    where = f"the TAXII server at {api_root}"
    try:
        root = ApiRoot(api_root, user=user, password=password)
        collection = next((c for c in root.collections if c.id == collection_id), None)
        if collection is None:
            have = ", ".join(c.id for c in root.collections) or "none"
            raise InputError(f"{where} has no collection {collection_id} (it has: {have})")
        if not collection.can_write:
            raise InputError(f"{where} does not let this user write to {collection_id}")
        limit = root.max_content_length or DEFAULT_MAX_CONTENT_LENGTH
        counts = [0, 0, 0, 0]
        # All envelopes made before the first is sent: an object too large stops nothing
        # half-way.
        for group in list(envelopes(objects, limit)):
            status = collection.add_objects({"objects": group})
            counts[0] += status.success_count
            counts[1] += status.failure_count
            counts[2] += status.pending_count
            counts[3] += 1
    except requests.exceptions.ConnectionError as exc:
        raise UnmaskError(f"{where} cannot be reached: {type(exc).__name__}") from exc
    except requests.exceptions.HTTPError as exc:
        code = exc.response.status_code if exc.response is not None else None
        if code in (401, 403):
            raise InputError(
                f"{where} refused the user and password ({code}): give --taxii-user and "
                "--taxii-password (or UNMASK_TAXII_USER and UNMASK_TAXII_PASSWORD)"
            ) from exc
        if code == 404:
            raise InputError(f"{where}: no such API root or collection (404)") from exc
        raise UnmaskError(f"{where} failed: {exc}") from exc
    except (TAXIIServiceException, requests.exceptions.RequestException) as exc:
        raise UnmaskError(f"{where} failed: {exc}") from exc
    return Pushed(len(objects), counts[0], counts[1], counts[2], counts[3])
