"""Behind a load balancer every request comes from the balancer's address; the person's is
the last one the balancer added to X-Forwarded-For. The sign-in limits per address must
count the person's (TRUSTED_PROXY_COUNT=1, ALLAUTH_TRUSTED_PROXY_COUNT in settings), or
twenty wrong passwords from anyone would lock everyone out. tests/scaleout proves it through
a real HAProxy."""

import pytest
from django.test import Client
from django.urls import reverse

from muster.accounts.models import LoginFailure

BALANCER_IP, PERSON_IP, OTHER_PERSON_IP = "10.0.0.2", "198.51.100.7", "203.0.113.9"


def wrong_password(client: Client, **headers) -> None:
    response = client.post(reverse("account_login"),
                           {"login": "nobody@example.com", "password": "not-the-password"},
                           headers=headers)
    assert response.status_code == 200


@pytest.mark.django_db
def test_behind_one_balancer_failures_count_against_the_person_address(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    balancer = Client(REMOTE_ADDR=BALANCER_IP)

    wrong_password(balancer, x_forwarded_for=PERSON_IP)
    # A forged first entry is not believed: the balancer appends the real address.
    wrong_password(balancer, x_forwarded_for=f"192.0.2.1, {OTHER_PERSON_IP}")

    assert sorted(LoginFailure.objects.values_list("ip_address", flat=True)) == sorted(
        [PERSON_IP, OTHER_PERSON_IP])


@pytest.mark.django_db
def test_without_a_balancer_x_forwarded_for_is_not_believed(settings):
    assert settings.ALLAUTH_TRUSTED_PROXY_COUNT == 0  # the default: TRUSTED_PROXY_COUNT unset

    wrong_password(Client(REMOTE_ADDR=PERSON_IP), x_forwarded_for="192.0.2.1")

    assert list(LoginFailure.objects.values_list("ip_address", flat=True)) == [PERSON_IP]
