"""Create instance/secret_key once, atomically, so every worker and host process shares one key.

Run as ``python -m webapp.secret [instance dir]`` (``make run`` does) before the server starts.
"""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
from pathlib import Path


def ensure_secret_key(instance_dir: str | Path) -> str:
    """Return the key in ``instance_dir/secret_key``, creating it if absent without ever overwriting one."""
    folder = Path(instance_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "secret_key"
    if not path.exists():
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".secret_key.")
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
            # link() fails if another process won the race; then we read the winner's key below.
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp)
    key = path.read_text().strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} holds a key shorter than 32 characters; delete it to make a new one")
    return key


if __name__ == "__main__":
    from .config import ROOT

    ensure_secret_key(sys.argv[1] if len(sys.argv) > 1 else ROOT / "instance")
