"""The onboarding flow's forms, one module per part of it (as `views/`): `notices`
(solicitation and award), `intake` (one form per screen), `review` (the request's
actions, the meeting, the service leads' decisions), `reasons` (changes of status that
need a reason, shared with additional-service requests) and `package` (calls, survey).
Each validates everything a person can get wrong on its page, server-side."""
