"""Progress snapshots are few (two per organisation and year) and every one is rewritten or re-stamped by each
nightly recount. With half of each page left free, PostgreSQL writes the new version of a row beside the old one
(a HOT update, no index entry) and reclaims the old one on the next visit, so the table neither grows night by
night nor costs the recount an index write per row. SQLite has no such setting."""

from django.db import migrations


def _fillfactor(percent: int):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE orgs_progresssnapshot SET (fillfactor = {percent})")

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("orgs", "0010_progress_snapshot_digest"),
    ]

    operations = [
        migrations.RunPython(_fillfactor(50), _fillfactor(100)),
    ]
