# Tools in the staff roles: managers set up tools; operators see what tools did and the
# messages the agent took, and mark those handled. Same approach as calls/0005_staff_groups.

from django.db import migrations

from voiceagent.staff_roles import grant_permissions, revoke_permissions

OPERATOR_PERMISSIONS = [
    ("tools", "view_toolinvocation"),
    ("tools", "view_takenmessage"),
    ("tools", "change_takenmessage"),
]
MANAGER_PERMISSIONS = OPERATOR_PERMISSIONS + [
    ("tools", f"{action}_{model}")
    for model in ["toolsetting", "httptool"]
    for action in ["view", "add", "change", "delete"]
]
GROUPS = {"operators": OPERATOR_PERMISSIONS, "managers": MANAGER_PERMISSIONS}


def grant(apps, schema_editor):
    grant_permissions(apps, ("tools",), GROUPS)


def revoke(apps, schema_editor):
    revoke_permissions(apps, "tools", GROUPS)


class Migration(migrations.Migration):
    dependencies = [
        ("tools", "0001_initial"),
        ("calls", "0005_staff_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
