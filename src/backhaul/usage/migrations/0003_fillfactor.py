"""Leave room in the pages of the tables every usage import rewrites.

Each import updates a row per session, account-day and account. With full pages
PostgreSQL writes every new row version to another page and adds it to every index; with
room left on the page the update stays there (a HOT update) and the indexes are not
touched, which makes the update several times cheaper. SQLite has no such setting.
"""

from django.db import migrations

TABLES = ("usage_sessionmeter", "usage_usageday", "usage_allowancestate")
FILLFACTOR = 50


def leave_room(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = {FILLFACTOR})")


def fill_up(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {table} RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("usage", "0002_queued_notice")]

    operations = [migrations.RunPython(leave_room, fill_up)]
