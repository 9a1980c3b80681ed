# Tools in the staff roles: managers set up tools; operators see what tools did and the
# messages the agent took, and mark those handled. Same approach as calls/0005_staff_groups.

from django.contrib.auth.management import create_permissions
from django.db import migrations

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
    app_config = apps.get_app_config("tools")
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
            group.permissions.remove(*Permission.objects.filter(content_type__app_label="tools"))


class Migration(migrations.Migration):
    dependencies = [
        ("tools", "0001_initial"),
        ("calls", "0005_staff_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
