"""What an order was priced from, frozen: the quote document and the uploaded files, checksummed.

An order keeps the exact quote (as canonical JSON) and the exact archive the customer uploaded.
Their SHA-256 digests are taken when the order is placed and checked whenever they are read back, so
a changed price or a swapped file is detected instead of silently produced.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any


class SnapshotError(ValueError):
    """The stored quote or files no longer match the digest taken when the order was placed."""


def canonical(document: Any) -> bytes:
    """One byte string per JSON document: sorted keys, no insignificant spaces, UTF-8."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Snapshot:
    quote: bytes  # canonical JSON of the quote document
    quote_sha256: str
    files_sha256: str  # of the uploaded archive, as stored

    @classmethod
    def take(cls, quote: Any, files: bytes) -> Snapshot:
        body = canonical(quote)
        return cls(body, digest(body), digest(files))

    def quote_document(self) -> Any:
        if digest(self.quote) != self.quote_sha256:
            raise SnapshotError("the order's quote does not match its checksum: altered after ordering")
        return json.loads(self.quote)

    def check_files(self, files: bytes) -> None:
        if digest(files) != self.files_sha256:
            raise SnapshotError("the order's files do not match their checksum: altered after ordering")
