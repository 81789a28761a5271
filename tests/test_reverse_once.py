"""muster.reverse_once: URLs reversed once, then each row's ids put in, equal to reverse()."""

from django.test import override_settings
from django.urls import reverse, set_script_prefix

from muster.reverse_once import Addresses, address, per_id, per_id_escaped


def test_each_way_gives_what_reverse_gives():
    addresses = Addresses()
    for _ in range(2):  # the second time from what was kept
        assert addresses("onboarding:request", 7) == reverse("onboarding:request", args=[7])
        assert addresses("access:member", 7, 12) == reverse("access:member", args=[7, 12])
        assert addresses("work:item", "grant", 3) == reverse("work:item", args=["grant", 3])
    assert address("closeout:closeout", 41) == reverse("closeout:closeout", args=[41])
    assert per_id("access:member", 7)(12) == reverse("access:member", args=[7, 12])
    assert per_id_escaped("access:member", 7)(12) == reverse("access:member", args=[7, 12])


@override_settings(ROOT_URLCONF="muster.urls")
def test_a_script_prefix_is_kept_apart():
    try:
        set_script_prefix("/muster/")
        under_prefix = Addresses()("onboarding:request", 7)
        assert under_prefix == reverse("onboarding:request", args=[7])
        assert under_prefix.startswith("/muster/")
    finally:
        set_script_prefix("/")
    assert not Addresses()("onboarding:request", 7).startswith("/muster/")
