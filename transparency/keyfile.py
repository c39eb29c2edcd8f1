"""Signer key files: one Go-format signer key (`PRIVATE+KEY+...`) per file, mode 0600.

The only filesystem code of the note formats (note.py, note_keys.py stay pure). A key file
holds exactly the text of `format_signer_key` plus one newline. Writing never
overwrites an existing file unless asked, creates the file 0600 atomically
(O_CREAT|O_EXCL with the mode, so it is never readable by others, not even
briefly), and fsyncs it. Reading refuses files that group or others may read
or write (like ssh), and files larger than MAX_KEY_FILE_SIZE, before parsing.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from transparency.errors import FormatError, TransparencyError
from transparency.note_keys import Signer, format_signer_key, parse_signer_key

MAX_KEY_FILE_SIZE = 4096
KEY_FILE_MODE = 0o600


class KeyFileError(TransparencyError):
    """A key file is missing, exists already, or has unsafe permissions."""


def write_signer_key_file(
    path: str | os.PathLike[str], signer: Signer, *, overwrite: bool = False
) -> None:
    """Write `signer` to `path` with mode 0600. Refuses to replace a file unless `overwrite`."""
    target = Path(path)
    data = (format_signer_key(signer) + "\n").encode("utf-8")
    if overwrite:
        tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        _write_new(tmp, data)
        os.replace(tmp, target)
    else:
        _write_new(target, data)


def _write_new(target: Path, data: bytes) -> None:
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, KEY_FILE_MODE)
    except FileExistsError as e:
        raise KeyFileError(f"key file {target} exists already; not overwriting it") from e
    try:
        os.fchmod(fd, KEY_FILE_MODE)  # the umask may have removed bits, never added any
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def read_signer_key_file(path: str | os.PathLike[str]) -> Signer:
    """Read a signer key file written by write_signer_key_file (or by Go's note.GenerateKey
    output saved to a file). Raises KeyFileError or FormatError."""
    target = Path(path)
    try:
        fd = os.open(target, os.O_RDONLY)
    except FileNotFoundError as e:
        raise KeyFileError(f"key file {target} does not exist") from e
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise KeyFileError(f"key file {target} is not a regular file")
        if st.st_mode & 0o077:
            raise KeyFileError(
                f"key file {target} has mode {stat.S_IMODE(st.st_mode):04o}: "
                "group/others must have no access (chmod 600)"
            )
        if st.st_size > MAX_KEY_FILE_SIZE:
            raise FormatError(f"key file {target} is larger than {MAX_KEY_FILE_SIZE} bytes")
        data = os.read(fd, MAX_KEY_FILE_SIZE + 1)
    finally:
        os.close(fd)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise FormatError(f"key file {target} is not UTF-8") from e
    if text.endswith("\n"):
        text = text[:-1]
    return parse_signer_key(text)
