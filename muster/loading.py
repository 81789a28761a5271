"""Model instances made from database rows by filling in their attributes, not by calling
Model.__init__ (issue 17): for the models a page reads by the dozen.

Model.from_db is Django's documented hook for how a row becomes an instance. Its own
calls Model.__init__, which sends pre_init and post_init and sets each field through
setattr: about 25 Python calls a row, and the contract page makes 31 users, 14 roles, 13
steps and 6 team roles (some 1,400 of its 16,700 calls). For a row read from the database
nothing of that is needed but the values themselves: the instance is the one __init__
makes, with the same attributes and state (tests/test_loading.py holds the two equal).

While anything listens to pre_init or post_init, instances are made Django's way, so that
every listener still hears of each one.
"""

from django.db.models import Model
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init

# Each model's column attributes in the order Model.from_db takes its values.
_ATTNAMES: dict[type, list[str]] = {}


def _attnames(model: type[Model]) -> list[str]:
    names = _ATTNAMES.get(model)
    if names is None:
        names = _ATTNAMES[model] = [field.attname for field in model._meta.concrete_fields]
    return names


class LoadedFromRows:
    """A model's `from_db`, for the models made many times a page (put first among the
    bases)."""

    @classmethod
    def from_db(cls, db, field_names, values, *, fetch_mode=None):
        if pre_init.receivers or post_init.receivers:
            return super().from_db(db, field_names, values,  # type: ignore[misc]
                                   fetch_mode=fetch_mode)
        names = _attnames(cls)  # type: ignore[arg-type]
        if len(values) != len(names):  # deferred fields: values in the same order, fewer
            chosen = set(field_names)
            names = [name for name in names if name in chosen]
        instance = cls.__new__(cls)
        state = instance._state = ModelState()  # type: ignore[attr-defined]
        state.adding = False
        state.db = db
        if fetch_mode is not None:
            state.fetch_mode = fetch_mode
        # What Model.__init__'s setattr does for a new instance: each field's descriptor
        # that has a __set__ (a foreign key's id, a file) stores the value under the same
        # name, having nothing cached yet to forget.
        instance.__dict__.update(zip(names, values, strict=True))
        return instance
