"""The demo's recertification campaign, half done (issue 16): opened by the onboarding team
on the last business day over every active contract, due in a week; on the Tidewater
contract the SO has certified some access that afternoon, removed one, and left the rest
waiting. Played after the roster's own story (its last events are that day's), so each
contract's history reads in order."""


from muster import clock
from muster.accounts.models import ContractRole, TeamRole, User
from muster.recertification import services
from muster.recertification.models import Decision, Scope
from muster.timeline import calendar

from .story import on as _on
from .story import workday as _workday


def show(created: dict) -> None:
    today = clock.today()
    team = (User.objects.filter(team_roles__role=TeamRole.Role.ONBOARDING_TEAM)
            .order_by("pk").first())
    contract = created["active"]
    opened_on = _workday(today, 1)
    with _on(opened_on, hour=15):
        campaign = services.open_campaign(
            team, name="Access review, winter", scope=Scope.ALL,
            due_date=calendar.add_business_days(today, 5))
    so = contract.roles.get(role=ContractRole.Role.SO).user
    items = {(i.grant.user.email.split("@")[0], i.grant.service.slug): i
             for i in campaign.items.filter(contract=contract).select_related(
                 "grant__user", "grant__service")}

    def decide(keys, decision, hour):
        chosen = [items[k].pk for k in keys if k in items]
        if chosen:
            with _on(opened_on, hour=hour):
                services.decide(so, campaign, contract, chosen, decision)

    decide([("analyst", "confluence"), ("abstractor1", "confluence")], Decision.KEEP, 16)
    decide([("abstractor2", "slack")], Decision.REMOVE, 16)
    # The analyst's SAS Viya was paused that morning for the lapsed DUA: certified, it
    # stays paused.
    decide([("analyst", "sas-viya")], Decision.KEEP, 17)
