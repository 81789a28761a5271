from django import forms


class AssignForm(forms.Form):
    """Whom to give an item: one of the people who may work on it (`people`: id, name)."""

    assignee = forms.TypedChoiceField(label="Assign to", coerce=int, choices=())

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "Choose a person"), *people]
        self.fields["assignee"].error_messages["invalid_choice"] = (
            "Choose someone who may work on this item: the onboarding team, its lead, or a "
            "lead of its service.")
        self.fields["assignee"].error_messages["required"] = "Choose whom to assign it to."
