# The ledger in the staff roles: operators see each call's cost; managers also the reports and
# budget alerts, and edit the price tables. Same steps as calls/0005_staff_groups
# (voiceagent/staff_roles.py).

from django.db import migrations

from voiceagent.staff_roles import grant_permissions, revoke_permissions

OPERATOR_PERMISSIONS = [("costs", "view_callcost")]
MANAGER_PERMISSIONS = OPERATOR_PERMISSIONS + [("costs", "view_budgetalert")] + [
    ("costs", f"{action}_{model}")
    for model in ["modelprice", "carrierprice"]
    for action in ["view", "add", "change", "delete"]
]
GROUPS = {"operators": OPERATOR_PERMISSIONS, "managers": MANAGER_PERMISSIONS}


def grant(apps, schema_editor):
    grant_permissions(apps, ("costs",), GROUPS)


def revoke(apps, schema_editor):
    revoke_permissions(apps, "costs", GROUPS)


class Migration(migrations.Migration):
    dependencies = [
        ("costs", "0002_list_prices"),
        ("calls", "0005_staff_groups"),
        ("tools", "0002_staff_group_permissions"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
