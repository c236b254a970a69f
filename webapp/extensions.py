"""Flask extensions, created unbound here and bound in create_app (Flask-Migrate is bound there too,
only where migrations can run: see create_app)."""

from flask_babel import Babel
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
csrf = CSRFProtect()
babel = Babel()
