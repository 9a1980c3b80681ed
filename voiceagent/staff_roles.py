"""Granting an app's permissions to the staff roles (operators, managers) from a data migration.

Permissions are normally created after migrate; these create them first, so the groups get
them on a fresh database as well as on an existing one. Used by the migration that made the
roles (calls/0005) and by those that put more models into them (tools/0002, sms/0002).
"""

from __future__ import annotations

from django.contrib.auth.management import create_permissions

Grants = dict[str, list[tuple[str, str]]]  # group name -> [(app_label, codename)]


def grant_permissions(apps, app_labels: tuple[str, ...], groups: Grants) -> None:
    """Create the apps' permissions now, then give each group its list (the groups are made if missing)."""
    for app_label in app_labels:
        app_config = apps.get_app_config(app_label)
        original = getattr(app_config, "models_module", None)
        app_config.models_module = True  # historical app configs have none: create_permissions would skip them
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = original
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, wanted in groups.items():
        group, _ = Group.objects.get_or_create(name=name)
        for label, codename in wanted:
            group.permissions.add(Permission.objects.get(content_type__app_label=label, codename=codename))


def revoke_permissions(apps, app_label: str, groups: Grants) -> None:
    Permission = apps.get_model("auth", "Permission")
    for name in groups:
        group = apps.get_model("auth", "Group").objects.filter(name=name).first()
        if group is not None:
            group.permissions.remove(*Permission.objects.filter(content_type__app_label=app_label))
