import datetime

import pytest

from . import open_closeout, requested_grant, service_request, submitted_request

D = datetime.date


@pytest.fixture
def items(people, freeze_today):
    """One open item of each kind, on Tuesday 2026-11-24 (Veterans Day was Wednesday the
    11th, Thanksgiving is the 26th):

    - a SAS Viya grant on `mine` requested Nov 10: due Nov 18, overdue by 4 business days;
    - a Confluence grant on `other` requested Nov 23: due Dec 1;
    - a Slack request on `other`, COR-approved Nov 23: due Dec 1;
    - `mine`'s onboarding request submitted Nov 20: due with its eligibility meeting, Dec 8;
    - a closeout of `mine` noticed Nov 2: due with the COR's scenario, Oct 31, 2027.
    """
    freeze_today()
    return {
        "late_grant": requested_grant(people["mine"], "sas-viya", D(2026, 11, 10),
                                      so=people["so"]),
        "grant": requested_grant(people["other"], "confluence", D(2026, 11, 23)),
        "request": service_request(people["other"], "slack", D(2026, 11, 23),
                                   people["other_cor"]),
        "onboarding": submitted_request(people["mine"], people["cor"], D(2026, 11, 20)),
        "closeout": open_closeout(people["mine"], D(2026, 11, 2)),
    }
