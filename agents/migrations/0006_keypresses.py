# Keypresses: the on/off switch becomes a choice that adds "the agent answers" (the new default).

from django.db import migrations, models


def carry_over(apps, schema_editor):
    """Agents that had keypresses off keep them off; the rest now get an answer to them."""
    Agent = apps.get_model("agents", "Agent")
    Agent.objects.filter(dtmf_to_model=False).update(keypresses="off")


def carry_back(apps, schema_editor):
    Agent = apps.get_model("agents", "Agent")
    Agent.objects.filter(keypresses="off").update(dtmf_to_model=False)


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0005_call_rate_limits"),
    ]

    operations = [
        migrations.AddField(
            model_name="agent",
            name="keypresses",
            field=models.CharField(
                choices=[
                    ("respond", "Agent answers the keypress"),
                    ("note", "Note only (read with the caller's next words)"),
                    ("off", "Ignored"),
                ],
                default="respond",
                help_text='Keys the caller presses reach the agent as a short note ("The caller pressed the key 5"): '
                "answered at once, or only read with the caller's next words.",
                max_length=10,
                verbose_name="keypresses",
            ),
        ),
        migrations.RunPython(carry_over, carry_back),
        migrations.RemoveField(model_name="agent", name="dtmf_to_model"),
    ]
