"""At most a few stored uploads per session.

Streamlit keeps every file PUT to ``/_stcore/upload_file/<session>/<file>`` in memory until
the session ends, whether or not a widget refers to it: one browser holding its XSRF cookie
can PUT file after file (30 of 19 MB held 520 MiB). The app has one uploader per page, so a
session needs its newest file, plus the one before while a rerun still reads it.
"""

from __future__ import annotations

import inspect
import threading

from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
from streamlit.runtime.scriptrunner import get_script_run_ctx

KEEP = 2  # newest files kept per session
_MARK = "_conv_keeps_newest"  # set on a manager once its add_file is wrapped
_LOCK = threading.Lock()


def keep_newest_uploads(keep: int = KEEP) -> None:
    """Make this process's upload store drop a session's older files beyond the ``keep``
    newest whenever one is added. Cheap after the first call; call it on every run.

    The upload route holds the manager object itself, so the object is changed in place
    (its ``add_file``), not replaced. Raises if the Streamlit in use no longer has what
    this relies on, so that an upgrade cannot silently drop the limit.
    """
    ctx = get_script_run_ctx()
    if ctx is not None:  # None in bare mode (no server): nothing can be uploaded
        limit(ctx.uploaded_file_mgr, keep)


def limit(mgr: MemoryUploadedFileManager, keep: int = KEEP) -> None:
    """Wrap ``mgr.add_file`` (once) so that a session keeps its ``keep`` newest files."""
    if getattr(mgr, _MARK, False):
        return
    _check(mgr)
    with _LOCK:
        if getattr(mgr, _MARK, False):
            return
        add = mgr.add_file

        def add_file(session_id: str, file) -> None:
            mgr.remove_file(session_id, file.file_id)  # a file sent again counts as newest
            add(session_id=session_id, file=file)
            # list() of a dict's keys runs without releasing the GIL: a consistent snapshot
            for old in list(mgr.file_storage.get(session_id, {}))[:-keep]:
                mgr.remove_file(session_id, old)

        mgr.add_file = add_file
        setattr(mgr, _MARK, True)


def _check(mgr: object) -> None:
    """What the hook needs: Streamlit's in-memory manager, a session -> {file id: file} dict
    in insertion order, and add_file / remove_file taking these argument names."""
    problems = []
    if not isinstance(mgr, MemoryUploadedFileManager):
        problems.append(f"the upload manager is a {type(mgr).__name__}")
    if not isinstance(getattr(mgr, "file_storage", None), dict):
        problems.append("it has no file_storage dict")
    for name, params in (("add_file", ["session_id", "file"]),
                         ("remove_file", ["session_id", "file_id"])):
        method = getattr(mgr, name, None)
        if method is None or list(inspect.signature(method).parameters) != params:
            problems.append(f"{name} does not take ({', '.join(params)})")
    if problems:
        raise RuntimeError("ui/uploads.py cannot limit stored uploads with this Streamlit: "
                           + "; ".join(problems) + ". Adapt it to the new upload manager.")
