"""Backup and restore of a whole installation: the database and every uploaded file, in one
archive with a manifest (row count of every table, size and SHA-256 of every file).

The database is copied with the engine's own tool: SQLite's online backup API (consistent while
the app runs) or `pg_dump` in its custom format. A restore goes into an *empty* database (no
tables at all) and an empty media folder, and then checks the result against the manifest, so a
restore that did not reproduce the data byte for byte fails loudly instead of silently.
See docs/operations.md ("Backups").
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.utils import timezone

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
MEDIA_DIR = "media"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is Chinese and names the cause."""


@dataclass
class Manifest:
    engine: str
    created_at: str
    tables: dict[str, int]
    files: dict[str, dict]
    database_sha256: str

    def as_json(self) -> str:
        data = {"format": FORMAT} | self.__dict__
        return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Manifest":
        data = json.loads(text)
        if data.pop("format", None) != FORMAT:
            raise BackupError("备份文件格式版本不符,无法恢复")
        return cls(**data)


def _engine(db: dict) -> str:
    engine = db["ENGINE"]
    if "sqlite" in engine:
        return "sqlite"
    if "postgresql" in engine:
        return "postgresql"
    raise BackupError(f"不支持的数据库类型:{engine}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def media_files(root: Path) -> dict[str, dict]:
    """Every file under the media folder: relative path → {size, sha256}."""
    files = {}
    if root.is_dir():
        for path in sorted(root.rglob("*")):
            if path.is_file():
                rel = path.relative_to(root).as_posix()
                files[rel] = {"size": path.stat().st_size, "sha256": _sha256(path)}
    return files


def _pg_env(db: dict) -> dict:
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return env


def _pg_args(db: dict) -> list[str]:
    args = []
    for flag, key in (("-h", "HOST"), ("-p", "PORT"), ("-U", "USER")):
        if db.get(key):
            args += [flag, str(db[key])]
    return args


def _run(args: list[str], env: dict) -> None:
    try:
        result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError as exc:
        raise BackupError(f"找不到 {args[0]}:请安装 PostgreSQL 客户端(postgresql-client)") from exc
    if result.returncode != 0:
        raise BackupError(f"{args[0]} 失败:{result.stderr.strip()[-500:]}")


# --- reading a database without Django (a restore target has no Django connection yet)
def _raw_connection(db: dict):
    if _engine(db) == "sqlite":
        return sqlite3.connect(db["NAME"])
    import psycopg

    return psycopg.connect(
        dbname=db["NAME"],
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
    )


def _table_names(conn, engine: str) -> list[str]:
    if engine == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
    else:
        sql = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    return sorted(row[0] for row in conn.execute(sql).fetchall())


def table_counts(conn, engine: str) -> dict[str, int]:
    """Row count of every table of the database behind a DB-API connection."""
    counts = {}
    for table in _table_names(conn, engine):
        quoted = '"' + table.replace('"', '""') + '"'
        counts[table] = conn.execute(f"SELECT COUNT(*) FROM {quoted}").fetchone()[0]  # noqa: S608
    return counts


# --- backup
def _check_writable(folder: Path) -> None:
    """Before the dump, not after it: the backup folder must exist (or be creatable) and be
    writable by the user the command runs as (the guide runs it as `anbiao`)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"无法创建备份目录 {folder}:{exc.strerror}") from exc
    if not os.access(folder, os.W_OK | os.X_OK):
        raise BackupError(
            f"备份目录 {folder} 不可写:当前用户没有写权限(安装指南中该目录属于 anbiao 用户)"
        )


def backup(out: Path, *, using: str = "default", media_root: Path | None = None) -> Manifest:
    """Write the database and the media folder of `using` to the archive `out` (.tar.gz)."""
    media_root = Path(media_root or settings.MEDIA_ROOT)
    out = Path(out)
    _check_writable(out.parent)
    connection = connections[using]
    db = connection.settings_dict
    engine = _engine(db)
    with tempfile.TemporaryDirectory(prefix="anbiao-backup-") as tmp:
        work = Path(tmp)
        connection.ensure_connection()
        if engine == "sqlite":
            db_file = work / SQLITE_FILE
            target = sqlite3.connect(db_file)
            with target:
                connection.connection.backup(target)  # online: consistent while the app runs
            target.close()
            with sqlite3.connect(db_file) as copy:
                tables = table_counts(copy, engine)
        else:
            db_file = work / PG_FILE
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    "--serializable-deferrable",
                    *_pg_args(db),
                    "-f",
                    str(db_file),
                    db["NAME"],
                ],
                _pg_env(db),
            )
            with connection.cursor() as cursor:
                tables = table_counts(cursor, engine)
        files = media_files(media_root)
        manifest = Manifest(
            engine=engine,
            created_at=timezone.now().isoformat(timespec="seconds"),
            tables=tables,
            files=files,
            database_sha256=_sha256(db_file),
        )
        (work / MANIFEST).write_text(manifest.as_json(), encoding="utf-8")
        partial = out.with_name(out.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(work / MANIFEST, MANIFEST)
            archive.add(db_file, db_file.name)
            for rel in files:
                archive.add(media_root / rel, f"{MEDIA_DIR}/{rel}")
        partial.replace(out)  # never leave a half-written archive under the final name
    return manifest


# --- restore
def read_manifest(archive_path: Path) -> Manifest:
    with tarfile.open(archive_path, "r:gz") as archive:
        member = archive.extractfile(MANIFEST)
        if member is None:
            raise BackupError("备份文件中没有 manifest.json,不是 anbiao 备份")
        return Manifest.from_json(member.read().decode("utf-8"))


def _check_empty(db: dict, engine: str, media_root: Path) -> None:
    if engine == "sqlite":
        path = Path(db["NAME"])
        if str(db["NAME"]).startswith("file:") or str(db["NAME"]) == ":memory:":
            raise BackupError("目标是内存数据库,无法恢复到它")
        if path.exists() and path.stat().st_size > 0:
            with sqlite3.connect(path) as conn:
                if _table_names(conn, engine):
                    raise BackupError(f"目标数据库 {path} 不是空的:只能恢复到空数据库")
    else:
        with _raw_connection(db) as conn:
            if _table_names(conn, engine):
                raise BackupError(
                    f"目标数据库 {db['NAME']} 不是空的(已有数据表):只能恢复到空数据库"
                )
    if media_root.is_dir() and any(p.is_file() for p in media_root.rglob("*")):
        raise BackupError(f"目标文件目录 {media_root} 不是空的:只能恢复到空目录")


def _extract_safely(archive: tarfile.TarFile, into: Path) -> None:
    """Extract only plain files and folders that stay inside `into`. Python 3.11.4+ does this
    with tarfile's "data" filter; Debian 12's own Python is 3.11.2, which has no filters, so
    the same rule is applied here by hand."""
    if hasattr(tarfile, "data_filter"):
        archive.extractall(into, filter="data")
        return
    root = into.resolve()
    members = archive.getmembers()
    for member in members:
        target = (root / member.name).resolve()
        if not (member.isfile() or member.isdir()) or not target.is_relative_to(root):
            raise BackupError(f"归档中有不安全的条目:{member.name}")
    archive.extractall(root, members=members)  # noqa: S202 - every member checked above


def restore(
    archive_path: Path, *, database: dict | None = None, media_root: Path | None = None
) -> Manifest:
    """Restore an archive made by `backup` into an empty database and media folder, then check
    every table's row count and every file's digest against the manifest."""
    db = database or settings.DATABASES["default"]
    media_root = Path(media_root or settings.MEDIA_ROOT)
    engine = _engine(db)
    manifest = read_manifest(archive_path)
    if manifest.engine != engine:
        raise BackupError(f"备份来自 {manifest.engine} 数据库,不能恢复到 {engine} 数据库")
    _check_empty(db, engine, media_root)
    with tempfile.TemporaryDirectory(prefix="anbiao-restore-") as tmp:
        work = Path(tmp)
        with tarfile.open(archive_path, "r:gz") as archive:
            _extract_safely(archive, work)
        db_file = work / (SQLITE_FILE if engine == "sqlite" else PG_FILE)
        if _sha256(db_file) != manifest.database_sha256:
            raise BackupError("备份文件中的数据库与校验值不符:备份文件已损坏")
        if engine == "sqlite":
            target = Path(db["NAME"])
            target.parent.mkdir(parents=True, exist_ok=True)
            for suffix in ("-wal", "-shm"):
                Path(str(target) + suffix).unlink(missing_ok=True)
            shutil.copyfile(db_file, target)
        else:
            _run(
                [
                    "pg_restore",
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    "--single-transaction",
                    *_pg_args(db),
                    "-d",
                    db["NAME"],
                    str(db_file),
                ],
                _pg_env(db),
            )
        media_root.mkdir(parents=True, exist_ok=True)
        source = work / MEDIA_DIR
        for rel in manifest.files:
            dest = media_root / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / rel, dest)
    verify(manifest, database=db, media_root=media_root)
    return manifest


def verify(manifest: Manifest, *, database: dict, media_root: Path) -> None:
    """Raise BackupError unless the database and media folder match the manifest exactly."""
    engine = _engine(database)
    with _raw_connection(database) as conn:
        counts = table_counts(conn, engine)
    if counts != manifest.tables:
        diff = sorted(
            t for t in set(counts) | set(manifest.tables) if counts.get(t) != manifest.tables.get(t)
        )
        raise BackupError(f"恢复后的数据表行数与备份不一致:{', '.join(diff[:10])}")
    files = media_files(media_root)
    if files != manifest.files:
        diff = sorted(
            p for p in set(files) | set(manifest.files) if files.get(p) != manifest.files.get(p)
        )
        raise BackupError(f"恢复后的文件与备份不一致:{', '.join(diff[:5])}")
