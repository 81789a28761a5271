from muster import commands
from muster.notifications import delivery


class Command(commands.Command):
    help = "Send every email due in the outbox (the worker does this on its own; cron may too)."

    def handle(self, *args, **options):
        report = delivery.deliver_due()
        self.stdout.write(
            f"Sent {report.sent}; waiting to retry {report.retrying}; gave up on {report.failed}."
        )
