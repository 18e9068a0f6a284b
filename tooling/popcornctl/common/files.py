"""Writing a report where the user asked, the way editors do: checked first, never replacing what is not a file.

:func:`check_destination` runs before any work (a bad ``-o``/``--report`` is a one-line error, exit 2, before
anything is planned or applied); :func:`write_text` writes once the content exists. The rules:

- **A regular file** is replaced atomically (a temporary file in the same folder, fsynced, renamed over it) and
  keeps its permission bits — and its owner, when popcornctl may set it. A file with several hard links, or in a
  folder popcornctl cannot create files in, is rewritten in place instead, so the links and the file stay.
- **A symbolic link** is followed: the file it points to is written (atomically, as above) and the link stays a
  link. A dangling link creates the file it names, like ``echo > link`` does.
- **A FIFO or a character device** (``/dev/stdout``, ``/dev/null``, a named pipe) is streamed to: opened for
  writing and written, never replaced or truncated to a regular file. ``/dev/full`` gives "no space left", as it
  should. Block devices and sockets are refused.
- **Refused**, with the reason: a folder; a file under ``/proc`` or ``/sys``; a read-only file system or a folder
  popcornctl may not write in; a missing folder (unless ``create_parents``); and any of the command's inputs
  (``-o plan.json`` with ``plan.json`` as input would destroy the plan being checked).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from popcornctl.errors import PopcornError

Kind = Literal["new", "regular", "stream"]
_KERNEL_FS = (Path("/proc"), Path("/sys"))
# Names of this process's own descriptors: whatever they are (terminal, pipe, redirected file), they are streamed.
_DESCRIPTOR_ALIASES = ("/dev/stdout", "/dev/stderr", "/dev/fd/", "/proc/self/fd/")


@dataclass(frozen=True)
class Destination:
    """Where a report goes, checked: ``path`` as given, ``target`` the file written (a link's target)."""

    path: Path
    target: Path
    kind: Kind
    flag: str

    def describe(self) -> str:
        """The path as the user gave it."""
        return str(self.path)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return a.resolve() == b.resolve()


def _kernel_fs(path: Path) -> bool:
    """True for files of the kernel's pseudo file systems (procfs, sysfs): never report destinations."""
    try:
        dev = path.stat().st_dev
    except OSError:
        return False
    for root in _KERNEL_FS:
        try:
            if root.stat().st_dev == dev:
                return True
        except OSError:
            continue
    return False


def _read_only(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):
        return False


def _unwritable(problem_path: Path, folder: Path, flag: str, shown: Path) -> PopcornError:
    why = "is on a read-only file system" if _read_only(folder) else "is not writable by you"
    return PopcornError(f"cannot write {flag} {shown}: {problem_path} {why}", f"choose another path for {flag}")


def check_destination(
    path: Path,
    *,
    flag: str,
    inputs: Sequence[Path] = (),
    create_parents: bool = False,
) -> Destination:
    """Check that ``path`` can take a report (see the module's rules); a :class:`PopcornError` if not."""
    path = path.expanduser()
    _refuse_inputs(path, flag, inputs)
    try:
        st = path.stat()  # follows links: what a write would reach
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise PopcornError(f"cannot use {flag} {path}: {exc.strerror}", f"choose another path for {flag}") from None
    if st is None:
        return _new_file(path, flag, create_parents)
    if str(path).startswith(_DESCRIPTOR_ALIASES) and not stat.S_ISDIR(st.st_mode):
        return Destination(path, path, "stream", flag)
    return _existing(path, st, flag)


def _refuse_inputs(path: Path, flag: str, inputs: Sequence[Path]) -> None:
    for source in inputs:
        if (path.exists() and source.exists() and _same_file(path, source)) or path.resolve() == source.resolve():
            raise PopcornError(
                f"{flag} {path} is also an input of this command: writing the report there would overwrite it",
                f"write the report to another file, e.g. {flag} {path.with_name(path.stem + '-report.json')}",
            )


def _existing(path: Path, st: os.stat_result, flag: str) -> Destination:
    """Something exists at ``path``: a stream (fifo, character device) or a writable regular file."""
    if stat.S_ISDIR(st.st_mode):
        raise PopcornError(f"{flag} {path} is a folder, not a file", f"name a file, e.g. {flag} {path / 'report.json'}")
    if stat.S_ISFIFO(st.st_mode) or stat.S_ISCHR(st.st_mode):
        if not os.access(path, os.W_OK):
            raise _unwritable(path, path.parent, flag, path)
        return Destination(path, path, "stream", flag)
    if not stat.S_ISREG(st.st_mode):
        kind = "a block device" if stat.S_ISBLK(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode) else \
            "not a regular file"
        raise PopcornError(f"{flag} {path} is {kind}", f"name a regular file for {flag}")
    target = path.resolve()
    if _kernel_fs(target):
        raise PopcornError(
            f"{flag} {path} is a kernel file ({target.parts[1] if len(target.parts) > 1 else target})",
            f"name a regular file for {flag}",
        )
    if not os.access(target, os.W_OK):
        raise _unwritable(target, target.parent, flag, path)
    return Destination(path, target, "regular", flag)


def _new_file(path: Path, flag: str, create_parents: bool) -> Destination:
    """Nothing exists at ``path`` (or a dangling link): its folder must exist and take new files."""
    target = path.resolve()  # a dangling link resolves to the file it names
    folder = target.parent
    if not folder.exists():
        if not create_parents:
            raise PopcornError(f"cannot write {flag} {path}: the folder {folder} does not exist", "create it first")
        existing = next((p for p in folder.parents if p.exists()), Path("/"))
        if not existing.is_dir():
            raise PopcornError(
                f"cannot write {flag} {path}: {existing} is not a folder", f"choose another path for {flag}"
            )
        if _kernel_fs(existing) or not os.access(existing, os.W_OK | os.X_OK):
            raise _unwritable(existing, existing, flag, path)
        return Destination(path, target, "new", flag)
    if not folder.is_dir():
        raise PopcornError(f"cannot write {flag} {path}: {folder} is not a folder", f"choose another path for {flag}")
    if _kernel_fs(folder):
        raise PopcornError(f"{flag} {path} is in a kernel file system ({folder})", f"name a regular file for {flag}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise _unwritable(folder, folder, flag, path)
    return Destination(path, target, "new", flag)


def write_text(dest: Destination, text: str) -> None:
    """Write ``text`` to a checked destination (see the module's rules); OS failures become a PopcornError."""
    data = text.encode("utf-8")
    try:
        if dest.kind == "stream":
            _stream(dest.path, data)
        else:
            _write_file(dest, data)
    except OSError as exc:
        raise PopcornError(
            f"cannot write {dest.flag} {dest.path}: {exc.strerror or exc}", f"choose another path for {dest.flag}"
        ) from None


def _stream(path: Path, data: bytes) -> None:
    # A regular file reached through a descriptor alias (``/dev/stdout`` redirected to a file) is appended to:
    # the shell's redirection decided what it is, and earlier output in it stays.
    flags = os.O_WRONLY | (os.O_APPEND if path.is_file() else 0)
    fd = os.open(path, flags)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
    finally:
        os.close(fd)


def _write_file(dest: Destination, data: bytes) -> None:
    target = dest.target
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        current: os.stat_result | None = target.stat()
    except FileNotFoundError:
        current = None
    if current is not None and (current.st_nlink > 1 or not os.access(target.parent, os.W_OK | os.X_OK)):
        _in_place(target, data)  # keep the hard links / a file in a folder we may not add files to
        return
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if current is not None:
            tmp.chmod(stat.S_IMODE(current.st_mode))
            with contextlib.suppress(OSError):  # only root (or the owner, for the group) may keep these
                os.chown(tmp, current.st_uid, current.st_gid)
        else:
            tmp.chmod(0o666 & ~_umask())  # what a plain `> file` would have created
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _umask() -> int:
    """The process umask, read without changing it (``os.umask`` would, for every thread, for a moment)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    return 0o022


def _in_place(target: Path, data: bytes) -> None:
    fd = os.open(target, os.O_WRONLY | os.O_TRUNC)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)


def check_folder(path: Path, *, flag: str) -> Path:
    """Check that ``path`` is, or can be created as, a folder popcornctl may write files in; return it resolved.

    Nothing is created here (the caller creates it when it writes): a file, a kernel file system, a read-only
    place or a folder the user may not write in is a one-line error before any work starts.
    """
    path = path.expanduser()
    if path.exists() and not path.is_dir():
        raise PopcornError(
            f"{flag} {path} is a file, not a folder", f"pass a folder for {flag} (it is created when missing)"
        )
    existing = path if path.exists() else next((p for p in path.parents if p.exists()), Path("/"))
    if not existing.is_dir():
        raise PopcornError(f"cannot create {flag} {path}: {existing} is a file", f"pass a folder for {flag}")
    if _kernel_fs(existing):
        raise PopcornError(f"{flag} {path} is in a kernel file system ({existing})", f"pass another folder for {flag}")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise _unwritable(existing, existing, flag, path)
    return path.resolve()
