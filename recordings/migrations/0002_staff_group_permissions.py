# Recordings in the staff roles: operators list them (listening needs calls.view_call, which they
# have); managers also delete them. Same steps as calls/0005_staff_groups
# (voiceagent/staff_roles.py).

from django.db import migrations

from voiceagent.staff_roles import grant_permissions, revoke_permissions

OPERATOR_PERMISSIONS = [("recordings", "view_recording")]
MANAGER_PERMISSIONS = OPERATOR_PERMISSIONS + [("recordings", "delete_recording")]
GROUPS = {"operators": OPERATOR_PERMISSIONS, "managers": MANAGER_PERMISSIONS}


def grant(apps, schema_editor):
    grant_permissions(apps, ("recordings",), GROUPS)


def revoke(apps, schema_editor):
    revoke_permissions(apps, "recordings", GROUPS)


class Migration(migrations.Migration):
    dependencies = [
        ("recordings", "0001_initial"),
        ("calls", "0005_staff_groups"),
        ("tools", "0002_staff_group_permissions"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
