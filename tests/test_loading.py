"""The models a page makes by the dozen are made from their rows without Model.__init__
(muster/loading.py): each instance must be the one Django's own from_db makes, loaded
every way a page loads them, and anyone listening to post_init still hears of each."""

import pytest
from django.db import connection
from django.db.models import Model
from django.db.models.signals import post_init
from django.test.utils import CaptureQueriesContext

from muster.accounts.models import ContractRole, TeamRole, User
from muster.loading import LoadedFromRows
from muster.timeline.models import ContractStep
from tests.factories import UserFactory, give_role, make_contract, team_member

pytestmark = pytest.mark.django_db

MODELS = [User, TeamRole, ContractRole, ContractStep]


@pytest.fixture
def rows(db):
    contract = make_contract(contract_number="75FCMC26C9911")
    give_role(UserFactory(full_name="Lena Quill", email="lq@example.org"), contract, "cor")
    team_member("onboarding_team", full_name="Odo Vance", email="ov@example.org")
    assert ContractStep.objects.filter(contract=contract).exists()


def as_django_makes_them(queryset) -> list:
    """The query set's instances as Model.from_db makes them, through Model.__init__."""
    for model in MODELS:
        model.from_db = classmethod(Model.from_db.__func__)
    try:
        return list(queryset.all())
    finally:
        for model in MODELS:
            del model.from_db


def described(instance) -> dict:
    """What an instance holds: its values, what select_related put in its cache, and its
    state as a save() or a deferred field's read sees it."""
    values = {name: value for name, value in vars(instance).items() if name != "_state"}
    state = instance._state
    cached = {name: described(related) if isinstance(related, Model) else related
              for name, related in state.fields_cache.items()}
    return {"class": type(instance), "values": values, "cached": cached,
            "adding": state.adding, "db": state.db,
            "deferred": instance.get_deferred_fields()}


def test_the_four_models_are_made_from_rows():
    assert all(issubclass(model, LoadedFromRows) for model in MODELS)
    assert all(model.__mro__.index(LoadedFromRows) < model.__mro__.index(Model)
               for model in MODELS), "put first among the bases, or Django's from_db wins"


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_column_as_django_makes_it(rows, model):
    quick = [described(i) for i in model.objects.order_by("pk")]
    assert quick and quick == [described(i) for i in as_django_makes_them(
        model.objects.order_by("pk"))]


def test_with_what_select_related_follows(rows):
    roles = ContractRole.objects.select_related("user", "contract").order_by("pk")
    quick = [described(role) for role in roles]
    assert quick[0]["cached"]["user"]["values"]["full_name"] == "Lena Quill"
    assert quick == [described(role) for role in as_django_makes_them(roles)]


def test_with_fields_left_out_a_read_of_one_loads_it(rows):
    people = User.objects.only("pk", "email").order_by("pk")
    quick = [described(person) for person in people]
    assert quick[0]["deferred"] == {f.attname for f in User._meta.concrete_fields} - {
        "id", "email"}
    assert quick == [described(person) for person in as_django_makes_them(people)]
    person = people.get(email="lq@example.org")
    with CaptureQueriesContext(connection) as read:
        assert person.full_name == "Lena Quill"
    assert len(read) == 1


def test_an_instance_read_is_saved_as_an_update(rows):
    step = ContractStep.objects.order_by("pk").first()
    step.completion_note = "Checked against the signed form"
    with CaptureQueriesContext(connection) as written:
        step.save()
    assert [q["sql"].split()[0] for q in written] == ["UPDATE"]
    assert ContractStep.objects.get(pk=step.pk).completion_note == "Checked against the signed form"


def test_a_listener_to_post_init_hears_of_every_instance(rows):
    heard = []

    def listening(sender, instance, **kwargs):
        heard.append(instance)
    post_init.connect(listening, sender=User)
    try:
        people = list(User.objects.all())
    finally:
        post_init.disconnect(listening, sender=User)
    assert people and heard == people
