"""Where issued editions live: files written once, read-only, under PUBLICATIONS_DIR, each
with the SHA-256 recorded in the database; reading one back checks it, and `verify` checks
them all."""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Edition, EditionFile
from app.services.errors import StorageFault


def publications_dir() -> Path:
    return Path(current_app.config["PUBLICATIONS_DIR"])


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_once(relative: str, data: bytes) -> Path:
    """Create the file, read-only, never overwriting anything, and whole or not at all: the
    bytes go to a temporary name in the same folder and reach disk first; a hard link then
    gives them the final name (refused if it exists, unlike a rename), and the folder is
    synced so the name survives a crash."""
    path = publications_dir() / relative
    folder = path.parent
    created = not folder.is_dir()
    folder.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), 0o444)
            os.fsync(handle.fileno())
        os.link(temporary, path)  # FileExistsError if the name is taken
    finally:
        os.unlink(temporary)
    _fsync_folder(folder)
    if created:
        _fsync_folder(folder.parent)
    return path


def store(edition: Edition, fmt: str, data: bytes, written: list[Path]) -> EditionFile:
    # A random part keeps two attempts at the same version (a drain that died, two drains on
    # SQLite) from ever writing the same file; only the attempt that finishes is recorded.
    name = f"idr-edition-{edition.month}-v{edition.version}-{secrets.token_hex(4)}.{fmt}"
    relative = f"{edition.month}/{name}"
    written.append(write_once(relative, data))
    return EditionFile(
        edition_id=edition.id,
        format=fmt,
        path=relative,
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
    )


def read_verified(stored: EditionFile) -> bytes:
    """The file's bytes, only if they are still the ones recorded when it was issued."""
    try:
        data = (publications_dir() / stored.path).read_bytes()
    except FileNotFoundError:
        data = None
    if data is None or hashlib.sha256(data).hexdigest() != stored.sha256:
        current_app.logger.error("Edition file %s is missing or altered", stored.path)
        raise StorageFault(
            "This edition's file is missing or no longer matches the SHA-256 recorded when it "
            "was issued, so it is not served. Tell the portal administrator (run "
            "`flask publication verify`)."
        )
    return data


@dataclass
class VerifyResult:
    checked: int = 0
    problems: list[str] = field(default_factory=list)
    # Files under PUBLICATIONS_DIR that no edition records: never served, so only a warning.
    unreferenced: list[str] = field(default_factory=list)


def _sha256_of(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def verify() -> VerifyResult:
    """Recompute the SHA-256 of every issued file and compare it with the recorded one; list
    the files no edition records (left by a build that died, or restored without its
    database rows)."""
    result = VerifyResult()
    stmt = (
        sa.select(EditionFile)
        .join(EditionFile.edition)
        .options(selectinload(EditionFile.edition))
        .order_by(Edition.month, Edition.version, EditionFile.format)
    )
    recorded = set()
    for stored in db.session.scalars(stmt):
        result.checked += 1
        recorded.add(stored.path)
        name = f"{stored.edition.label} {stored.format}"
        path = publications_dir() / stored.path
        if not path.is_file():
            result.problems.append(f"{name}: missing ({stored.path})")
        elif (actual := _sha256_of(path)) != stored.sha256:
            result.problems.append(
                f"{name}: SHA-256 {actual} differs from the recorded {stored.sha256}"
            )
    root = publications_dir()
    on_disk = (p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    result.unreferenced = sorted(path for path in on_disk if path not in recorded)
    return result
