#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "muster.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    from muster.audit import correlation

    # One action id per command run: the audit events of one sweep read together.
    command = sys.argv[1] if len(sys.argv) > 1 else "manage"
    try:
        with correlation.scope(correlation.new_id(command)):
            execute_from_command_line(sys.argv)
    except ImproperlyConfigured as error:
        # Settings an operator must fix (production refuses unsafe ones): one line.
        sys.exit(f"ImproperlyConfigured: {error}")
