# The ledger in the staff roles: operators see each call's cost; managers also the reports and
# budget alerts, and edit the price tables. Same approach as calls/0005_staff_groups.

from django.contrib.auth.management import create_permissions
from django.db import migrations

OPERATOR_PERMISSIONS = [("costs", "view_callcost")]
MANAGER_PERMISSIONS = OPERATOR_PERMISSIONS + [("costs", "view_budgetalert")] + [
    ("costs", f"{action}_{model}")
    for model in ["modelprice", "carrierprice"]
    for action in ["view", "add", "change", "delete"]
]
GROUPS = {"operators": OPERATOR_PERMISSIONS, "managers": MANAGER_PERMISSIONS}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("costs")
    original = getattr(app_config, "models_module", None)
    app_config.models_module = True  # historical app configs have none: create_permissions would skip them
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = original
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, wanted in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, codename in wanted:
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for name in GROUPS:
        group = apps.get_model("auth", "Group").objects.filter(name=name).first()
        if group is not None:
            group.permissions.remove(*Permission.objects.filter(content_type__app_label="costs"))


class Migration(migrations.Migration):
    dependencies = [
        ("costs", "0002_list_prices"),
        ("calls", "0005_staff_groups"),
        ("tools", "0002_staff_group_permissions"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
