"""Give the staff groups an app's permissions from a data migration (and take them back).

Permissions are normally created after migrate; they are created here first so the groups get
them on a fresh database as well as on an existing one. Used by the migrations of apps added
after calls/0005_staff_groups and tools/0002_staff_group_permissions (which inline the same steps).
"""

from __future__ import annotations

from django.contrib.auth.management import create_permissions


def grant(apps, app_label: str, groups: dict[str, list[tuple[str, str]]]) -> None:
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


def revoke(apps, app_label: str, groups: dict[str, list[tuple[str, str]]]) -> None:
    Permission = apps.get_model("auth", "Permission")
    for name in groups:
        group = apps.get_model("auth", "Group").objects.filter(name=name).first()
        if group is not None:
            group.permissions.remove(*Permission.objects.filter(content_type__app_label=app_label))
