"""gunicorn server hooks for Muster's metrics under several worker processes.

The gunicorn config file imports them by name (gunicorn calls module-level functions
called `on_starting` and `child_exit`):

    from muster.operations.gunicorn_hooks import child_exit, on_starting  # noqa: F401

and the environment sets PROMETHEUS_MULTIPROC_DIR to a folder the workers may write
(prometheus-client's multiprocess mode: each worker writes its samples there, and a
scrape answered by any worker adds up every worker's, the dead ones' included).
"""

import os
from pathlib import Path

from prometheus_client import multiprocess


def _folder() -> Path | None:
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    return Path(folder) if folder else None


def on_starting(server) -> None:
    """Before the first worker starts: forget a previous run's samples (prometheus-client
    requires the folder emptied between runs), and make the folder if it is missing."""
    folder = _folder()
    if folder is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()


def child_exit(server, worker) -> None:
    """A worker ended (restarted, killed, timed out): drop its live gauges. Its counts
    and histograms stay in the folder, so totals never go backwards."""
    if _folder() is not None:
        multiprocess.mark_process_dead(worker.pid)
