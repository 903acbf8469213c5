"""The survey lifecycle: questions, invitations sent by e-mail, answers, exclusions, the outbox.

An answer is one kind of record whether it came from an e-mail link or a CSV of historic answers,
so both feed the same KPIs.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class SurveyKind(models.TextChoices):
    NPS = "nps", "NPS"
    CSAT = "csat", "CSAT"
    CES = "ces", "Client effort"


SCALES: dict[str, tuple[int, int]] = {
    SurveyKind.NPS: (0, 10),
    SurveyKind.CSAT: (1, 5),
    SurveyKind.CES: (1, 7),
}
# NPS bands (kpis.md ``nps``): promoters score 9–10, detractors 0–6, passives in between.
NPS_PROMOTER_MIN, NPS_DETRACTOR_MAX = 9, 6


class SurveyQuestion(models.Model):
    """The wording of each kind of survey, editable by admins. Invitations copy it when sent."""

    kind = models.CharField(max_length=8, choices=SurveyKind.choices, unique=True)
    question = models.CharField(max_length=300)
    low_label = models.CharField(max_length=60)
    high_label = models.CharField(max_length=60)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.question}"


LINK_TOKEN_PLACEHOLDER = "__survey_link_token__"


def hash_token(token: str) -> str:
    """Invitations store only this digest: a database leak reveals no working link."""
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(models.Model):
    class Trigger(models.TextChoices):
        RELATIONSHIP_CYCLE = "relationship_cycle", "Relationship cycle"
        ISSUE_RESOLVED = "issue_resolved", "Support issue resolved"
        PROJECT_COMPLETED = "project_completed", "Project completed"
        MANUAL = "manual", "Sent from the client page"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        DELIVERED = "delivered", "Delivered"
        BOUNCED = "bounced", "Bounced"
        FAILED = "failed", "Failed"
        # Not sent: by the time its e-mail was due, the address was suppressed, the contact
        # excluded or the client churned. Never counts as delivered.
        SUPPRESSED = "suppressed", "Suppressed"

    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="invitations")
    client = models.ForeignKey("crm.Client", on_delete=models.CASCADE, related_name="invitations")
    # The BRM who owned the client when the invitation was sent.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="survey_invitations"
    )
    kind = models.CharField(max_length=8, choices=SurveyKind.choices)
    trigger = models.CharField(max_length=32, choices=Trigger.choices)
    question = models.CharField(max_length=300)
    low_label = models.CharField(max_length=60)
    high_label = models.CharField(max_length=60)
    token_hash = models.CharField(max_length=64, unique=True)
    # The reminder carries a second token: the first one was never stored, so it cannot be
    # put in a new e-mail. Both links answer the same invitation.
    reminder_token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    delivered_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    # A score chosen by following a link in the e-mail. Mail scanners follow links too, so it
    # becomes an answer only when the person confirms it on the page.
    provisional_score = models.PositiveSmallIntegerField(null=True, blank=True)
    provisional_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    support_issue = models.ForeignKey(
        "crm.SupportIssue", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    project = models.ForeignKey(
        "crm.Project", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["owner", "created_at"]),
            models.Index(fields=["contact", "created_at"]),
            models.Index(fields=["status", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.contact} on {self.created_at:%Y-%m-%d}"

    @property
    def scale(self) -> tuple[int, int]:
        return SCALES[self.kind]

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at


class Response(models.Model):
    """A confirmed answer to a survey, from an e-mail invitation or imported from history."""

    class Source(models.TextChoices):
        EMAIL = "email", "E-mail invitation"
        IMPORT = "import", "Imported"

    invitation = models.OneToOneField(
        Invitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="response"
    )
    client = models.ForeignKey("crm.Client", on_delete=models.CASCADE, related_name="responses")
    contact = models.ForeignKey(
        "crm.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="responses"
    )
    # The BRM who owned the client when the answer was given.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="survey_responses"
    )
    kind = models.CharField(max_length=8, choices=SurveyKind.choices)
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    may_quote = models.BooleanField(default=False)
    answered_at = models.DateTimeField()
    updated_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.EMAIL)
    # The follow-up opened for a detractor; its completion closes the loop.
    follow_up = models.OneToOneField(
        "crm.FollowUp", null=True, blank=True, on_delete=models.SET_NULL, related_name="response"
    )

    class Meta:
        ordering = ["-answered_at"]
        indexes = [
            models.Index(fields=["owner", "kind", "answered_at"]),
            models.Index(fields=["client", "answered_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind=SurveyKind.NPS, score__gte=0, score__lte=10)
                    | Q(kind=SurveyKind.CSAT, score__gte=1, score__lte=5)
                    | Q(kind=SurveyKind.CES, score__gte=1, score__lte=7)
                ),
                name="response_score_on_its_scale",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.score} from {self.client}"

    @property
    def needs_closing_the_loop(self) -> bool:
        """NPS detractors (0–6) and unhappy CSAT (1–2) alert the owning BRM."""
        return (self.kind == SurveyKind.NPS and self.score <= NPS_DETRACTOR_MAX) or (
            self.kind == SurveyKind.CSAT and self.score <= 2
        )


class SurveyExclusion(models.Model):
    """A BRM's decision to keep a contact out of surveys, with a reason. Logged and counted per
    BRM, because hand-picking who gets surveyed would flatter the scores."""

    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="exclusions")
    excluded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="survey_exclusions"
    )
    reason = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["contact"], condition=Q(lifted_at__isnull=True), name="one_open_exclusion"
            )
        ]

    def __str__(self) -> str:
        return f"{self.contact} excluded by {self.excluded_by}"


class OutboundEmail(models.Model):
    """The transactional outbox: written in the same transaction as what caused it, sent by a
    Celery task after commit, retried with back-off. Its state is visible to people."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (will retry)"
        DEAD = "dead", "Failed (gave up)"
        BOUNCED = "bounced", "Bounced"
        # Not sent, and never will be: ``last_error`` says why (see survey_email_block).
        SUPPRESSED = "suppressed", "Suppressed"

    class Purpose(models.TextChoices):
        INVITATION = "invitation", "Survey invitation"
        REMINDER = "reminder", "Survey reminder"
        ALERT = "alert", "Detractor alert"

    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    invitation = models.ForeignKey(
        Invitation, null=True, blank=True, on_delete=models.CASCADE, related_name="emails"
    )
    to = models.EmailField()
    subject = models.CharField(max_length=300)
    text_body = models.TextField()
    html_body = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    # Bodies and headers hold LINK_TOKEN_PLACEHOLDER instead of a survey link's token; the
    # token itself waits here only until the e-mail is sent or given up, then is erased, so
    # invitations keep nothing but the token's hash.
    link_token = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} to {self.to} ({self.status})"


class DevMail(models.Model):
    """An e-mail kept instead of sent, when no mail server is configured (the dev mailbox)."""

    subject = models.CharField(max_length=300)
    from_email = models.CharField(max_length=300)
    to = models.TextField(help_text="Recipients, one per line.")
    text_body = models.TextField(blank=True)
    html_body = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    # A message handed over twice (a worker killed after delivering, before recording it) has
    # the same Message-ID; the mailbox keeps it once, as a recipient's mail client would.
    message_id = models.CharField(max_length=300, null=True, blank=True, unique=True)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = "dev mailbox message"

    def __str__(self) -> str:
        return self.subject
