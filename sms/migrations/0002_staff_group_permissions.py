# Text messages in the staff roles: operators read the conversations and retry failed replies;
# managers also set up each agent's SMS persona, each number's switch, and lift opt-outs.
# Same approach as tools/0002_staff_group_permissions.

from django.contrib.auth.management import create_permissions
from django.db import migrations

OPERATOR_PERMISSIONS = [
    ("sms", "view_smsthread"),
    ("sms", "view_smsmessage"),
    ("sms", "change_smsmessage"),
    ("sms", "view_smsoptout"),
]
MANAGER_PERMISSIONS = OPERATOR_PERMISSIONS + [
    ("sms", f"{action}_{model}")
    for model in ["smspersona", "smsnumbersetting", "smsoptout"]
    for action in ["view", "add", "change", "delete"]
    if (model, action) != ("smsoptout", "view")
]
GROUPS = {"operators": OPERATOR_PERMISSIONS, "managers": MANAGER_PERMISSIONS}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("sms")
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
            group.permissions.remove(*Permission.objects.filter(content_type__app_label="sms"))


class Migration(migrations.Migration):
    dependencies = [
        ("sms", "0001_initial"),
        ("calls", "0005_staff_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
