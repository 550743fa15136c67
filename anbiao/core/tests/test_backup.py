"""Backup → wipe → restore gives equal table counts and byte-equal files (SQLite and
PostgreSQL, whichever DATABASE_URL the suite runs on)."""

import filecmp
import io
import os
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection

from anbiao.cases.services import evidence_add
from anbiao.core.backup import (
    BackupError,
    _raw_connection,
    backup,
    read_manifest,
    restore,
    table_counts,
)

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(5000)


@pytest.fixture
def data(reference, station_officer, minan_enterprise, xindian_enterprise, agency_user):
    """A small data set with stored files in two folders, binary content included."""
    for name, content in (("制度.pdf", PDF), ("现场.png", PNG)):
        evidence_add(
            actor=station_officer,
            enterprise=minan_enterprise,
            upload=SimpleUploadedFile(name, content),
        )


@pytest.fixture
def empty_database(tmp_path):
    """A database with no tables, like a freshly created one on a new server."""
    source = connection.settings_dict
    if connection.vendor == "sqlite":
        yield source | {"NAME": str(tmp_path / "restored.sqlite3")}
        return
    name = f"{source['NAME']}_restore"[:60]
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield source | {"NAME": name}
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_backup_wipe_restore_gives_equal_tables_and_byte_equal_files(
    data, settings, tmp_path, empty_database
):
    archive = tmp_path / "anbiao-backup.tar.gz"
    call_command("backup", "-o", str(archive))
    manifest = read_manifest(archive)
    assert manifest.tables["enterprises_enterprise"] == 2
    assert manifest.tables["cases_evidencefile"] == 2
    assert len(manifest.files) == 2

    restored_media = tmp_path / "restored-media"
    restore(archive, database=empty_database, media_root=restored_media)

    with connection.cursor() as cursor:
        source_counts = table_counts(cursor, "sqlite" if connection.vendor == "sqlite" else "pg")
    with _raw_connection(empty_database) as conn:
        restored_counts = table_counts(conn, "sqlite" if connection.vendor == "sqlite" else "pg")
    assert restored_counts == source_counts
    assert sum(restored_counts.values()) > 100  # regions, dictionaries, users, enterprises…
    source_media = Path(settings.MEDIA_ROOT)
    originals = sorted(p.relative_to(source_media) for p in source_media.rglob("*") if p.is_file())
    assert len(originals) == 2
    for rel in originals:
        assert filecmp.cmp(source_media / rel, restored_media / rel, shallow=False), rel
    assert {(restored_media / r).read_bytes() for r in originals} == {PDF, PNG}

    with pytest.raises(BackupError, match="不是空的"):  # a second restore would mix data
        restore(archive, database=empty_database, media_root=tmp_path / "other-media")


def test_restore_refuses_a_damaged_archive(data, tmp_path, empty_database):
    import tarfile

    archive = tmp_path / "b.tar.gz"
    backup(archive)
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(damaged, "w:gz") as dst:
        for member in src.getmembers():
            content = src.extractfile(member).read()
            if member.name.startswith("database"):
                content = content[:-10] + b"x" * 10
            member.size = len(content)
            dst.addfile(member, io.BytesIO(content))
    with pytest.raises(BackupError, match="校验值不符"):
        restore(damaged, database=empty_database, media_root=tmp_path / "m")


def test_a_backup_folder_that_cannot_be_written_is_named_before_anything_is_dumped(tmp_path):
    """The guide's first backup failed with an English traceback after the whole dump, because
    the folder belonged to root; now the command stops first and names the folder."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    with pytest.raises(CommandError, match="无法创建备份目录"):
        call_command("backup", "-o", str(blocker / "anbiao.tar.gz"))
    assert list(tmp_path.iterdir()) == [blocker]


@pytest.mark.parametrize("with_filters", [True, False], ids=["python-3.11.4+", "python-3.11.2"])
def test_an_archive_with_a_path_out_of_the_folder_is_refused(tmp_path, monkeypatch, with_filters):
    """Restore extracts only plain files inside its work folder, on every Python 3.11 (Debian
    12's own 3.11.2 has no tarfile filters; the guide's restore drill crashed on it)."""
    import tarfile

    from anbiao.core.backup import _extract_safely

    if not with_filters:
        monkeypatch.delattr(tarfile, "data_filter", raising=False)
    evil = tmp_path / "evil.tar.gz"
    payload = tmp_path / "payload"
    payload.write_text("x")
    with tarfile.open(evil, "w:gz") as archive:
        archive.add(payload, "media/ok.txt")
        archive.add(payload, "../escaped.txt")
    work = tmp_path / "work"
    work.mkdir()
    with tarfile.open(evil, "r:gz") as archive, pytest.raises(Exception) as refused:
        _extract_safely(archive, work)
    assert not (tmp_path / "escaped.txt").exists()
    if not with_filters:
        assert "不安全的条目" in str(refused.value)
    good = tmp_path / "good.tar.gz"
    with tarfile.open(good, "w:gz") as archive:
        archive.add(payload, "media/ok.txt")
    with tarfile.open(good, "r:gz") as archive:
        _extract_safely(archive, work)
    assert (work / "media" / "ok.txt").read_text() == "x"
