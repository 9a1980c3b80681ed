# Recordings in the staff roles: operators list them (listening needs calls.view_call, which they
# have); managers also delete them. Same approach as calls/0005_staff_groups.

from django.contrib.auth.management import create_permissions
from django.db import migrations

OPERATOR_PERMISSIONS = [("recordings", "view_recording")]
MANAGER_PERMISSIONS = OPERATOR_PERMISSIONS + [("recordings", "delete_recording")]
GROUPS = {"operators": OPERATOR_PERMISSIONS, "managers": MANAGER_PERMISSIONS}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("recordings")
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
            group.permissions.remove(*Permission.objects.filter(content_type__app_label="recordings"))


class Migration(migrations.Migration):
    dependencies = [
        ("recordings", "0001_initial"),
        ("calls", "0005_staff_groups"),
        ("tools", "0002_staff_group_permissions"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
