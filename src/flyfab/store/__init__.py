"""Storage: database tables, connections, migrations and the files customers upload."""

from flyfab.store.db import Database
from flyfab.store.files import FileStore
from flyfab.store.migrate import upgrade

__all__ = ["Database", "FileStore", "upgrade"]
