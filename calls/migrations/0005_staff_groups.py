# The two staff roles (issue #4). Permissions are normally created after migrate; create them
# here first so the groups get them on a fresh database as well as on an existing one.

from django.db import migrations

from voiceagent.staff_roles import grant_permissions

OPERATOR_PERMISSIONS = [
    ("calls", "view_call"),
    ("calls", "hangup_call"),
    ("calls", "view_transcriptitem"),
    ("calls", "view_callevent"),
]
MANAGER_PERMISSIONS = OPERATOR_PERMISSIONS + [
    ("agents", f"{action}_{model}")
    for model in ["agent", "phonenumber", "caller", "callergroup", "groupgreeting"]
    for action in ["view", "add", "change", "delete"]
] + [("agents", "view_agentversion")] + [
    # What post-call work extracts is part of an agent's setup (an inline on the agent).
    ("calls", f"{action}_extractionfield")
    for action in ["view", "add", "change", "delete"]
]
GROUPS = {"operators": OPERATOR_PERMISSIONS, "managers": MANAGER_PERMISSIONS}


def create_groups(apps, schema_editor):
    grant_permissions(apps, ("agents", "calls"), GROUPS)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("agents", "0003_agent_versions_group_greetings"),
        ("calls", "0004_call_hangup_permission"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
