"""Reading the files a document folder holds, without trusting what they are.

A document folder comes from many hands. A name in it may be a symlink to ``/dev/zero`` (read
until memory runs out), a named pipe (a read that blocks for ever), a folder, a symlink loop,
a file the build may not read, or a link to ``/etc/passwd``. Every source file is therefore
read here: only regular files, only inside the folder it belongs to when one is given, its size
checked before reading and at most ``limit + 1`` bytes read whatever the size said.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

MAX_SOURCE_BYTES = 10 * 1024 * 1024
KINDS = (
    (stat.S_ISDIR, "it is a folder, not a file"),
    (stat.S_ISFIFO, "it is a named pipe, not a regular file"),
    (stat.S_ISCHR, "it is a device, not a regular file"),
    (stat.S_ISBLK, "it is a device, not a regular file"),
    (stat.S_ISSOCK, "it is a socket, not a regular file"),
)
REASONS = {
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ELOOP: "it is a symlink loop",
    errno.ENAMETOOLONG: "its name is too long for the file system",
    errno.ENOTDIR: "a folder on its path is a file",
    errno.EISDIR: "it is a folder, not a file",
}


class Unreadable(Exception):
    """A file that cannot be used as a source, and why; ``missing`` when it does not exist at all."""

    def __init__(self, reason: str, missing: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.missing = missing

    @property
    def message(self) -> str:
        """The problem as reported at the file itself."""
        return "file not found" if self.missing else f"cannot read the file: {self.reason}"


class TooLarge(Unreadable):
    """A file over the size limit."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"it is {size / 1024 / 1024:.1f} MB; source files are limited to {limit // 1024 // 1024} MB")
        self.size = size

    @property
    def message(self) -> str:
        """The problem as reported at the file itself."""
        return "file is " + self.reason.removeprefix("it is ")


def reason(error: OSError) -> str:
    """A short account of an operating-system error, without the file name it repeats."""
    return REASONS.get(error.errno or 0, (error.strerror or str(error)).lower())


def is_inside(path: Path, root: Path) -> bool:
    """Whether a path, with '..' and every symlink followed, lies inside root (root itself excluded)."""
    real, base = Path(os.path.realpath(path)), Path(os.path.realpath(root))
    return real != base and real.is_relative_to(base)


def check_regular(path: Path, inside: Path | None = None) -> os.stat_result:
    """The file's status if it is a regular file (inside ``inside`` when given); else raise Unreadable."""
    if inside is not None and not is_inside(path, inside):
        raise Unreadable("it lies outside the document folder (a symlink leading out?)")
    try:
        status = os.stat(path)
    except FileNotFoundError:
        raise Unreadable("it does not exist", missing=True) from None
    except OSError as error:
        raise Unreadable(reason(error)) from None
    for test, kind in KINDS:
        if test(status.st_mode):
            raise Unreadable(kind)
    return status


def read_limited(path: Path, limit: int = MAX_SOURCE_BYTES, inside: Path | None = None) -> bytes:
    """A regular file's bytes, refused (Unreadable) when it is anything else, too large or unreadable.

    The file is opened without blocking (a pipe swapped in after the check cannot hang the
    build), checked again on the open descriptor, and never read past ``limit + 1`` bytes.
    """
    status = check_regular(path, inside)
    if status.st_size > limit:
        raise TooLarge(status.st_size, limit)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as error:
        raise Unreadable(reason(error)) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise Unreadable("it is not a regular file")
        data = _read_at_most(fd, limit + 1)
    except OSError as error:
        raise Unreadable(reason(error)) from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise TooLarge(len(data), limit)
    return data


def _read_at_most(fd: int, count: int) -> bytes:
    """Up to count bytes from a descriptor, until its end."""
    chunks: list[bytes] = []
    remaining = count
    while remaining > 0:
        chunk = os.read(fd, min(remaining, 1024 * 1024))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
