"""The contract page's panel registry: the apps above contracts add their parts to its
pages (contracts.panels), shown in order, only when they have something to show."""

from muster.contracts import panels

from ..factories import TODAY


def test_a_slots_panels_show_in_their_order_and_one_with_nothing_to_show_is_left_out():
    slot = "test.panels_in_order"

    @panels.register(slot, order=20, template="second.html")
    def second(user, obj, today):
        return {"obj": obj, "today": today}

    @panels.register(slot, order=10, template="first.html")
    def first(user, obj, today):
        return {"who": user}

    @panels.register(slot, order=15, template="nothing.html")
    def nothing(user, obj, today):
        return None

    shown = panels.shown(slot, "someone", "the contract", TODAY)

    assert [s.template for s in shown] == ["first.html", "second.html"]
    assert shown[0].context == {"who": "someone"}
    assert shown[1].context == {"obj": "the contract", "today": TODAY}


def test_registering_a_template_again_in_its_slot_replaces_it():
    slot = "test.panels_replaced"
    panels.register(slot, order=10, template="panel.html")(lambda user, obj, today: {"n": 1})
    panels.register(slot, order=10, template="panel.html")(lambda user, obj, today: {"n": 2})

    assert [s.context for s in panels.shown(slot, None, None, TODAY)] == [{"n": 2}]


def test_the_apps_above_contracts_register_their_contract_page_panels():
    assert [p.template for p in panels.registered(panels.CONTRACT)] == [
        "onboarding/panels/contract.html", "access/panels/contract.html",
        "recertification/panels/so.html", "evidence/panels/contract.html"]
    assert [p.template for p in panels.registered("access.contract_actions")] == [
        "closeout/panels/contract_action.html"]
    assert [p.template for p in panels.registered(panels.HOME)] == [
        "access/panels/home.html", "recertification/panels/so.html"]
