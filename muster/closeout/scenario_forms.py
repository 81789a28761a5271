"""The COR's closeout scenarios: one form each, asking exactly what the offboarding page asks
for (shared/seeds, "Notification of Contract Closeout"), validated server-side.

Each form's SECTIONS table is the one place its questions are listed: it gives the page's
sections and the fields' order, and says which fields are answers (what choice.choose_scenario
records, `answers()`); the others come with the answers as `dua()`, `new_so()`, `new_spoc()`
(what choice.apply_scenario stores with them). FORMS is the table of the four scenarios.
"""

import datetime
from typing import Any, ClassVar, NamedTuple

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from muster import clock
from muster.accounts.models import SO_AGAIN_AS_SPOC, User, so_again_as_spoc
from muster.contracts.forms import DateInput
from muster.contracts.models import Contract
from muster.forms import USWDSMixin
from muster.validators import (
    NAME_MAX,
    SHORT_TEXT_MAX,
    VISIBLE_ONLY,
)

from .answers import NewDua, Person
from .models import Closeout, Scenario
from .queries import DuaCoverage, dua_coverage, dua_services_of
from .scenario_fields import (
    DUA_FIELDS,
    PEOPLE_FIELDS,
    NewDuaFields,
    NewPeopleFields,
    PopEndConfirmed,
    archive_question,
    data_to_archive_question,
    long_date,
    yes_no,
)


class Section(NamedTuple):
    """A section of a scenario's page: its heading, its fields in order, a hint, and which
    of its fields are answers (all of them unless named)."""

    heading: str
    fields: tuple[str, ...]
    hint: str = ""
    answers: tuple[str, ...] | None = None


class ScenarioForm(USWDSMixin, forms.Form):
    scenario: ClassVar[Scenario]
    # The scenario's card on the closeout page (shared/seeds' words).
    TITLE: ClassVar[str]
    OUTCOME: ClassVar[str]
    ASKS: ClassVar[tuple[str, ...]]
    SECTIONS: ClassVar[tuple[Section, ...]] = ()
    ANSWERS: ClassVar[tuple[str, ...]] = ()  # from SECTIONS

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.field_order = [name for section in cls.SECTIONS for name in section.fields]
        cls.ANSWERS = tuple(name for section in cls.SECTIONS
                            for name in (section.fields if section.answers is None
                                         else section.answers))

    def __init__(self, *args, contract: Contract, closeout: Closeout | None = None, **kwargs):
        self.contract, self.closeout = contract, closeout
        self.dua_services = dua_services_of(contract)
        super().__init__(*args, **kwargs)
        if not self.dua_services:
            for name in [n for n in self.fields if n.startswith("dua")]:
                del self.fields[name]
        if "dua_document" in self.fields:
            self.fields["dua_document"].help_text = (
                f"The signed DUA as a PDF, up to {settings.MAX_UPLOAD_MB} MB. Number, "
                "expiry date and PDF go together."
            )

    @classmethod
    def card(cls) -> dict:
        """The scenario as the closeout page offers it."""
        return {"number": cls.scenario.value, "title": cls.TITLE, "outcome": cls.OUTCOME,
                "asks": list(cls.ASKS)}

    def groups(self) -> list[tuple[str, str, list]]:
        """The form's fields in sections: (heading, hint, bound fields) for the page."""
        result = []
        for section in self.SECTIONS:
            fields = [self[name] for name in section.fields if name in self.fields]
            if fields:
                result.append((section.heading, section.hint, fields))
        return result

    # --- what the services get -------------------------------------------------------------

    def answers(self) -> dict:
        data = self.cleaned_data
        return {name: data[name] for name in self.ANSWERS if name in data}

    def dua(self) -> NewDua | None:
        data = self.cleaned_data
        if not data.get("dua_document"):
            return None
        return NewDua(
            number=data["dua_number"], expiry_date=data["dua_expiry_date"],
            effective_date=data.get("dua_effective_date"), document=data["dua_document"],
        )

    def new_so(self) -> Person | None:
        return None

    def new_spoc(self) -> Person | None:
        return None

END_SECTION = Section("End of performance", ("pop_end_confirmed",))
CONFIRMED_END = "The end date of the current contractor's period of performance, confirmed"


class ReawardForm(ScenarioForm, NewDuaFields, NewPeopleFields):
    """Scenario 1: contract ends, and a new contract is re-awarded to the incumbent."""

    scenario = Scenario.REAWARD_INCUMBENT
    TITLE = "Contract ends, and a new contract is re-awarded to the incumbent"
    OUTCOME = ("The onboarding team keeps the contractor's current access to the services: on "
               "the last day of the current contract, its users' access moves to the new "
               "contract.")
    ASKS = (
        "The new contract name, if it changes",
        "The new period of performance",
        "The new contract number, and task order number if there is one",
        "For SAS Viya or another service that requires a Data Use Agreement (DUA): whether "
        "the DUA is still valid. If not, a new DUA is required, and access to those services "
        "pauses until the PDF of the new DUA is given",
        "Whether the Security Official (SO) and Security Point of Contact (SPOC) remain the "
        "same; if not, the new SO's and SPOC's names and HARP IDs",
        "Which data the contractor worked on for CMS needs to be archived, and whether the "
        "contractor will need the same data for the new contract",
    )
    SECTIONS = (
        Section("The new contract", ("new_name", "new_contract_number",
                                     "new_task_order_number", "new_award_date",
                                     "new_pop_start", "new_pop_end", "pop_start_reason")),
        Section("Data Use Agreement", ("dua_still_valid",)),
        Section("The new DUA, if the DUA is not valid", DUA_FIELDS,
                "Give it now if you have it. Without it, access to the services that need a "
                "DUA pauses when the current contract ends, and resumes as soon as the new "
                "DUA's PDF is uploaded on the new contract's DUA page.", answers=()),
        Section("Security Official and Security Point of Contact", ("so_spoc_unchanged",)),
        Section("The new SO and SPOC, if they change", PEOPLE_FIELDS,
                "Required if the SO and SPOC do not remain the same. They take over on the "
                "new contract.", answers=()),
        Section("Data", ("data_to_archive", "same_data_needed")),
    )

    new_name = forms.CharField(
        label="New contract name", max_length=NAME_MAX, required=False, validators=VISIBLE_ONLY,
        help_text="If it changes. Leave empty to keep the current name.")
    new_contract_number = forms.CharField(
        label="New contract number", max_length=60, validators=VISIBLE_ONLY,
        error_messages={"required": "Give the new contract number."})
    new_task_order_number = forms.CharField(
        label="New task order number", max_length=60, required=False, validators=VISIBLE_ONLY,
        help_text="If applicable.")
    new_pop_start = forms.DateField(
        label="New period of performance: start", widget=DateInput(),
        error_messages={"required": "Give the date the new period of performance starts."})
    new_pop_end = forms.DateField(
        label="New period of performance: end", widget=DateInput(),
        error_messages={"required": "Give the date the new period of performance ends."})
    pop_start_reason = forms.CharField(
        label="Why the new period of performance does not start the day after the current "
        "one ends", max_length=SHORT_TEXT_MAX, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only if it starts on another day: access moves to the new contract on the "
        "current contract's last day.")
    new_award_date = forms.DateField(
        label="Award date of the new contract", widget=DateInput(), required=False,
        help_text="If you know it. Leave empty otherwise.")
    dua_still_valid = yes_no(
        "Is the Data Use Agreement (DUA) still valid for the new contract?",
        "For SAS Viya and other services that require a DUA. If not, a new DUA is "
        "required, and access to those services pauses from the end of the current "
        "contract until the PDF of the new DUA is given.",
        "Say whether the DUA is still valid for the new contract.")
    so_spoc_unchanged = yes_no(
        "Do the Security Official (SO) and Security Point of Contact (SPOC) remain the same?",
        "If not, give the new SO's and SPOC's names, emails and HARP IDs below.",
        "Say whether the SO and SPOC remain the same.")
    data_to_archive = archive_question()
    same_data_needed = yes_no(
        "Will the contractor need the same data for the new contract?",
        required_message="Say whether the contractor needs the same data again.")

    def clean_new_contract_number(self):
        number = self.cleaned_data["new_contract_number"].strip().upper()
        taken = Contract.objects.filter(contract_number__iexact=number)
        if self.closeout is not None and self.closeout.successor_id:
            taken = taken.exclude(pk=self.closeout.successor_id)
        if taken.exists():
            raise ValidationError("A contract with this number is already in Muster: give "
                                  "the new contract's own number.")
        return number

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        start, end = cleaned.get("new_pop_start"), cleaned.get("new_pop_end")
        self._check_pop_start(cleaned)
        award = cleaned.get("new_award_date")
        if award and award > clock.today():
            self.add_error("new_award_date", "The award date cannot be in the future: leave "
                           "it empty until the award is made.")
        elif award and start and award > start:
            self.add_error("new_award_date", "The award comes before the period of "
                           "performance starts.")
        if start and end and end <= start:
            self.add_error("new_pop_end", "The new period of performance must end after it "
                           "starts.")
        elif end and end <= clock.today():
            self.add_error("new_pop_end", "The new period of performance must end in the "
                           "future.")
        if "dua_still_valid" in self.fields and cleaned.get("dua_still_valid") is False:
            # Optional now: without it, DUA-service access pauses until it is given.
            self._check_new_dua(cleaned, required=False,
                                why="a DUA given here needs all of them.")
        if cleaned.get("so_spoc_unchanged") is False:
            self._check_people(cleaned)
            self._check_two_people(cleaned)
        return cleaned

    def _check_two_people(self, cleaned: dict) -> None:
        """The new SO and the new SPOC are two people (the seeds name two roles, "these
        individuals"): the same email or HARP ID in both is refused."""
        so = {key: cleaned.get(f"new_so_{key}") for key in ("email", "harp_id")}
        spoc = {key: cleaned.get(f"new_spoc_{key}") for key in ("email", "harp_id")}
        for key, what in so_again_as_spoc(so, spoc):
            self.add_error(f"new_spoc_{key}", SO_AGAIN_AS_SPOC.format(so="new SO", what=what))

    def expected_pop_start(self) -> datetime.date | None:
        end = self.contract.pop_end
        return end + datetime.timedelta(days=1) if end else None

    def _check_pop_start(self, cleaned: dict) -> None:
        """The day after the current end, or another day with a reason (never before the
        current contract's last day: access moves to the new record on that day). A re-award
        is chosen during the closeout, so the current contract has its end date."""
        start, expected = cleaned.get("new_pop_start"), self.expected_pop_start()
        reason = (cleaned.get("pop_start_reason") or "").strip()
        cleaned["pop_start_reason"] = reason if start != expected else ""
        current_end = self.contract.pop_end
        if not start or expected is None or current_end is None or start == expected:
            return
        if start < current_end:
            self.add_error("new_pop_start", "The new period of performance starts the day "
                           f"after the current one ends ({long_date(expected)}), or on its "
                           f"last day ({long_date(current_end)}) at the earliest.")
        elif not reason:
            days = (start - current_end).days
            gap = (f"{days} days after the current one ends" if days > 1
                   else "on the current contract's last day")
            self.add_error("pop_start_reason", f"The new period of performance starts "
                           f"{long_date(start)}, {gap} ({long_date(current_end)}), not the "
                           f"day after ({long_date(expected)}): correct the start, or say "
                           "why here.")

    def _check_people(self, cleaned: dict) -> None:
        why = "the SO and SPOC change."
        for role, long in (("so", "SO"), ("spoc", "SPOC")):
            for part, what in (("name", "full name"), ("email", "email"),
                               ("harp_id", "HARP ID")):
                name = f"new_{role}_{part}"
                if not cleaned.get(name) and name not in self.errors:
                    self.add_error(name, f"Give the new {long}'s {what}: {why}")
            email, harp = cleaned.get(f"new_{role}_email"), cleaned.get(f"new_{role}_harp_id")
            if email and harp:
                known = User.objects.filter(email__iexact=email).first()
                if known and known.harp_id and known.harp_id.lower() != harp.lower():
                    self.add_error(f"new_{role}_harp_id",
                                   f"{email} is in Muster with HARP ID {known.harp_id}.")
                elif User.objects.filter(harp_id__iexact=harp).exclude(
                        email__iexact=email).exists():
                    self.add_error(f"new_{role}_harp_id",
                                   "This HARP ID belongs to someone else in Muster.")

    def new_so(self) -> Person | None:
        return self._person("so")

    def new_spoc(self) -> Person | None:
        return self._person("spoc")

    def _person(self, role: str) -> Person | None:
        data = self.cleaned_data
        if data.get("so_spoc_unchanged") is not False:
            return None
        return Person(full_name=data[f"new_{role}_name"].strip(),
                      email=data[f"new_{role}_email"].strip().lower(),
                      harp_id=data[f"new_{role}_harp_id"].strip())

    def dua(self) -> NewDua | None:
        if self.cleaned_data.get("dua_still_valid") is not False:
            return None
        return super().dua()


class OtherContractorForm(ScenarioForm, PopEndConfirmed):
    """Scenario 2: contract ends, and a new contract is awarded to another contractor."""

    scenario = Scenario.OTHER_CONTRACTOR
    TITLE = "Contract ends, and a new contract is awarded to another contractor"
    OUTCOME = ("The onboarding team removes the current contractor's access on the end date "
               "of its period of performance, and onboards the new contractor, which follows "
               "the new contract onboarding process.")
    ASKS = (CONFIRMED_END,
            "Which data the contractor worked on for CMS needs to be archived, and whether "
            "the new contractor may need it")
    SECTIONS = (END_SECTION,
                Section("Data", ("data_to_archive", "new_contractor_needs_data")))

    data_to_archive = archive_question()
    new_contractor_needs_data = yes_no(
        "May the new contractor need this data?",
        required_message="Say whether the new contractor may need the data.")


class NoAwardForm(ScenarioForm, PopEndConfirmed):
    """Scenario 3: contract ends without a new version of the contract being awarded."""

    scenario = Scenario.NO_AWARD
    TITLE = "Contract ends without a new version of the contract being awarded"
    OUTCOME = ("The onboarding team removes the contractor's access on the end date of its "
               "period of performance and makes sure all CMS data is archived.")
    ASKS = (CONFIRMED_END, "Which CMS data the contractor worked on is to be archived")
    SECTIONS = (END_SECTION, Section("Data", ("data_to_archive", "all_data_archived")))

    data_to_archive = data_to_archive_question(
        "Say which CMS data is to be archived: all CMS data is archived when the contract "
        "ends with no new award.",
        "CMS data the contractor worked on that is to be archived",
        "All CMS data is archived. Say what it is and where it is; the onboarding team "
        "records the archive.")
    all_data_archived = forms.BooleanField(
        label="All CMS data the contractor worked on will be archived",
        error_messages={"required": "Confirm that all CMS data will be archived."})


class ExtensionForm(ScenarioForm, NewDuaFields):
    """Scenario 4: contract POP is extended."""

    scenario = Scenario.EXTENSION
    TITLE = "Contract period of performance is extended"
    OUTCOME = ("The onboarding team updates the contract's records: its dates and due steps "
               "move, and the closeout starts again 60 days before the new end date.")
    ASKS = ("The new end date of the period of performance",
            "For SAS Viya or another service that requires a DUA: whether the DUA is valid "
            "through the new end date. If the DUA was updated, the PDF of the updated DUA")
    SECTIONS = (
        Section("The extension", ("new_pop_end",)),
        # Accepting the pause is not an answer: it records when access pauses (answers()).
        Section("Data Use Agreement", ("dua_valid_through_new_end", "dua_pause_accepted"),
                answers=("dua_valid_through_new_end",)),
        Section("The updated DUA, if the DUA changed", DUA_FIELDS,
                "Required if the DUA is not valid through the new end date unchanged, unless "
                "you record above that access pauses when the current DUA expires.",
                answers=()),
    )

    new_pop_end = forms.DateField(
        label="New end date of the period of performance", widget=DateInput(),
        error_messages={"required": "Give the new end date of the period of performance."})
    dua_valid_through_new_end = yes_no(
        "Is the Data Use Agreement (DUA) valid through the new end date, unchanged?",
        "For SAS Viya and other services that require a DUA. If the DUA was updated, give "
        "the PDF of the updated DUA below: it is required.",
        "Say whether the DUA is valid through the new end date.")
    dua_pause_accepted = forms.BooleanField(
        label="I do not have the updated DUA yet: access to the services that need a DUA "
        "pauses when the current DUA expires, and resumes when the new DUA's PDF is uploaded "
        "on the contract's DUA page.",
        required=False,
    )
    dua_pauses_on: datetime.date | str | None = None

    def clean_new_pop_end(self):
        day = self.cleaned_data["new_pop_end"]
        current = self.contract.pop_end
        if current and day <= current:
            raise ValidationError(f"An extension ends after the current end date "
                                  f"({long_date(current)}).")
        return day

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        self.dua_pauses_on = None
        if "dua_valid_through_new_end" not in self.fields:
            return cleaned
        valid, new_end = cleaned.get("dua_valid_through_new_end"), cleaned.get("new_pop_end")
        coverage = dua_coverage(self.contract, new_end) if new_end else None
        if valid is True and new_end and coverage is not None and not coverage.covered:
            self.add_error("dua_valid_through_new_end", self._not_covered(new_end, coverage))
        if valid is not False:
            return cleaned
        given = any(cleaned.get(n) for n in ("dua_number", "dua_expiry_date", "dua_document"))
        if cleaned.get("dua_pause_accepted") and not given:
            expiry = coverage.current_expiry if coverage else None
            # Recorded with the answers: when access to the DUA services pauses.
            self.dua_pauses_on = expiry or "Already paused: no DUA is valid today"
            return cleaned
        self._check_new_dua(cleaned, required=True,
                            why="the DUA changed, so the updated DUA is required.")
        return cleaned

    def _not_covered(self, new_end: datetime.date, coverage: DuaCoverage) -> str:
        if coverage.current_expiry is None:
            where = "no DUA valid today covers the services that need one"
        else:
            where = (f"DUA {coverage.current_number} expires on "
                     f"{long_date(coverage.current_expiry)}")
        return (f"No DUA on this contract is valid through {long_date(new_end)}: {where}. "
                "Answer “No” and give the updated DUA below, or answer “No” and record that "
                "access to the services that need a DUA pauses when the current DUA expires.")

    def answers(self) -> dict:
        answers = super().answers()
        if self.dua_pauses_on is not None:
            answers["dua_services_pause_on"] = self.dua_pauses_on
        return answers

    def dua(self) -> NewDua | None:
        if self.cleaned_data.get("dua_valid_through_new_end") is not False:
            return None
        return super().dua()


FORMS: dict[int, type[ScenarioForm]] = {
    form.scenario: form for form in (ReawardForm, OtherContractorForm, NoAwardForm,
                                     ExtensionForm)
}


# --- The answers given, on the closeout page and back in the form -------------------------

EXTRA_LABELS = {
    "new_so": "New SO (name, email, HARP ID)",
    "new_spoc": "New SPOC (name, email, HARP ID)",
    "new_dua_number": "New DUA number",
    "new_dua_expiry_date": "New DUA expires",
    "dua_services_pause_on": "Access to the services that need a DUA pauses on",
}


def _shown(value) -> str:
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    if isinstance(value, dict):
        return ", ".join(str(v) for v in value.values() if v)
    if isinstance(value, str):
        try:
            day = datetime.date.fromisoformat(value)
        except ValueError:
            return value or "—"
        return f"{day:%A, %B} {day.day}, {day.year}"
    return "—" if value in (None, "") else str(value)


def answer_rows(closeout: Closeout) -> list[tuple[str, str]]:
    """The COR's answers, labelled as the form asked them."""
    if not closeout.scenario:
        return []
    fields = FORMS[closeout.scenario].base_fields
    rows = []
    for key, value in closeout.answers.items():
        field = fields.get(key)
        label = str(field.label) if field is not None else EXTRA_LABELS.get(key, key)
        rows.append((label, _shown(value)))
    return rows


def initial_answers(closeout: Closeout | None, scenario: int) -> dict:
    """Answers already given for this scenario, to correct them."""
    if closeout is None or closeout.scenario != scenario:
        return {}
    initial = {}
    for key, value in closeout.answers.items():
        initial[key] = ("yes" if value else "no") if isinstance(value, bool) else value
    for role in ("so", "spoc"):
        person = closeout.answers.get(f"new_{role}") or {}
        for part, field in (("full_name", "name"), ("email", "email"), ("harp_id", "harp_id")):
            if person.get(part):
                initial[f"new_{role}_{field}"] = person[part]
    return initial
