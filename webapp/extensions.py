"""Flask extensions, created unbound here and bound in create_app (Flask-Migrate is bound there too,
only where migrations can run: see create_app)."""

from typing import Any

from flask_babel import Babel
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
csrf = CSRFProtect()
babel = Babel()


def guard_postgresql(engine: Any, read_timeout: float) -> None:
    """Make every psycopg connection of ``engine`` give up on a server that stops answering.

    libpq has no read timeout: on a connection the pool already holds, a server that accepts packets and never
    answers (stopped, swapping, behind a stuck proxy) held a request until gunicorn killed the worker (issue 24:
    31.6 s). TCP keepalives do not help (the peer's kernel still answers them), nor does statement_timeout (the
    server would have to act). psycopg waits for the server in Python with an optional timeout; this makes one
    the default, and closes a connection that timed out (its protocol state is lost), which SQLAlchemy then
    discards as a disconnect: the request gets a 503 and the next one a fresh connection.
    """
    import psycopg
    from psycopg.errors import _WaitTimeout
    from sqlalchemy import event

    class DeadlineConnection(psycopg.Connection):  # type: ignore[type-arg]
        def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
            try:
                return super().wait(
                    gen, interval=interval, timeout=read_timeout if timeout is None else timeout
                )
            except _WaitTimeout:
                self.close()
                raise

    @event.listens_for(engine, "do_connect")
    def _connect(_dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        return DeadlineConnection.connect(*cargs, **cparams)
