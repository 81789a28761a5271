"""Single sign-on through the agency's OpenID Connect provider (django-allauth's
socialaccount)."""

from allauth.socialaccount.adapter import DefaultSocialAccountAdapter


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        return False  # a provider account reaches only a person Muster already named
