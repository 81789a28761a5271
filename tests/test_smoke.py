from django.urls import reverse


def test_signed_in_cor_sees_their_contract_timeline(client, people):
    client.force_login(people["cor"])
    page = client.get(reverse("contracts:detail", args=[people["mine"].pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Notify of contract solicitation" in html
    assert "Contract removed from services" in html
