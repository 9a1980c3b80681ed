# Post-call work (issue #6): the summary model and notification recipients.

import agents.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="agent",
            name="summary_model",
            field=models.CharField(
                default="gpt-4o-mini",
                help_text="Text model that writes each call's summary and extraction.",
                max_length=60,
            ),
        ),
        migrations.AddField(
            model_name="agent",
            name="notify_emails",
            field=models.TextField(
                blank=True,
                help_text="Comma-separated addresses that get each finished call's summary by email.",
                validators=[agents.validators.validate_email_list],
            ),
        ),
        migrations.AddField(
            model_name="callergroup",
            name="notify_emails",
            field=models.TextField(
                blank=True,
                help_text="Comma-separated addresses that also get the summary of calls from this group.",
                validators=[agents.validators.validate_email_list],
            ),
        ),
    ]
