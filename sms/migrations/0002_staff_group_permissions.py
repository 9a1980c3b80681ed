# Text messages in the staff roles: operators read the conversations and retry failed replies;
# managers also set up each agent's SMS persona, each number's switch, and lift opt-outs.
# Same approach as tools/0002_staff_group_permissions.

from django.db import migrations

from voiceagent.staff_roles import grant_permissions, revoke_permissions

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
    grant_permissions(apps, ("sms",), GROUPS)


def revoke(apps, schema_editor):
    revoke_permissions(apps, "sms", GROUPS)


class Migration(migrations.Migration):
    dependencies = [
        ("sms", "0001_initial"),
        ("calls", "0005_staff_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
