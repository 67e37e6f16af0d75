"""On PostgreSQL the database itself refuses UPDATE and DELETE on audit rows, whatever code path tries.

The model already refuses in Python; the trigger also covers raw SQL and bulk paths. SQLite (development
and the quick test run) keeps the Python guard only.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION orgs_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'orgs_auditevent is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS orgs_auditevent_append_only ON orgs_auditevent;
CREATE TRIGGER orgs_auditevent_append_only
    BEFORE UPDATE OR DELETE ON orgs_auditevent
    FOR EACH ROW EXECUTE FUNCTION orgs_auditevent_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS orgs_auditevent_append_only ON orgs_auditevent;
DROP FUNCTION IF EXISTS orgs_auditevent_append_only();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0003_initial"),
        ("orgs", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP)),
    ]
