"""The relationship book: every record a KPI is computed from, kept with its history.

Edit history: every book record a person can create, edit or delete carries
``history = HistoricalRecords()`` (django-simple-history): one row per create, edit and delete with
who, when and the values after the change, so "before" is the previous row. Rows that are
history already (ownership, status changes, stage changes, due-date changes) do not need it.

Attribution rule (docs/kpis.md): an event counts for the BRM who owned the client when it
happened. Ownership is kept as dated history (``ClientOwnership``); every event row also carries
``owner``, the BRM credited with it, stamped from that history by ``crm.services`` whenever the
event or the history is written. KPI queries group by that column instead of range-joining the
history for millions of rows.
"""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower, Trim
from django.utils import timezone
from simple_history.models import HistoricalRecords

from crm.input_rules import validate_single_line

MONEY = {"max_digits": 14, "decimal_places": 2}


class TrackedQuerySet(models.QuerySet):
    """Bulk writes stamp ``updated_at`` too, so the API's ``updated_since`` sees every change,
    including the guarded ``UPDATE``s the services use for idempotent state changes."""

    def update(self, **kwargs) -> int:
        kwargs.setdefault("updated_at", timezone.now())
        return super().update(**kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs) -> int:
        now = timezone.now()
        for obj in objs:
            obj.updated_at = now
        return super().bulk_update(objs, {*fields, "updated_at"}, *args, **kwargs)


class TracksUpdates(models.Model):
    """A record other systems sync (REST API ``updated_since``): ``updated_at`` moves on every
    save, including ``save(update_fields=...)``, and on queryset updates (``TrackedQuerySet``)."""

    updated_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)

    objects = TrackedQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, update_fields=None, **kwargs) -> None:
        self.updated_at = timezone.now()
        if update_fields is not None:
            update_fields = {*update_fields, "updated_at"}
        super().save(*args, update_fields=update_fields, **kwargs)


class RelationshipType(models.TextChoices):
    PERSONAL = "personal", "Personal"
    FUNCTIONAL = "functional", "Functional"
    STRATEGIC = "strategic", "Strategic"
    PARTNER = "partner", "Partner"


class LifecycleStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    CHURNED = "churned", "Churned"


class ClientQuerySet(TrackedQuerySet):
    def active(self) -> ClientQuerySet:
        return self.filter(status=LifecycleStatus.ACTIVE)

    def active_on(self, day: date) -> ClientQuerySet:
        """Clients whose lifecycle status in force on ``day`` is active."""
        latest = (
            ClientStatusChange.objects.filter(client=models.OuterRef("pk"), effective_on__lte=day)
            .order_by("-effective_on", "-id")
            .values("status")[:1]
        )
        return self.annotate(status_on_day=models.Subquery(latest)).filter(
            status_on_day=LifecycleStatus.ACTIVE
        )


class Client(TracksUpdates):
    name = models.CharField(max_length=200, validators=[validate_single_line])
    relationship_type = models.CharField(max_length=16, choices=RelationshipType.choices)
    relationship_started_on = models.DateField()
    # Current values, kept in step with the dated histories below by crm.services.
    status = models.CharField(
        max_length=16, choices=LifecycleStatus.choices, default=LifecycleStatus.ACTIVE
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_clients"
    )
    sourced_by_partner = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sourced_clients",
        limit_choices_to={"relationship_type": RelationshipType.PARTNER},
    )
    industry = models.CharField(max_length=100, blank=True)
    website = models.URLField(blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ClientQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["owner", "status"]), models.Index(fields=["name"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == LifecycleStatus.ACTIVE


class ClientOwnership(models.Model):
    """Who owned a client, from when until when (``ended_at`` exclusive, null while current)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="ownerships")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="client_ownerships"
    )
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["client", "started_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gt=F("started_at")),
                name="ownership_ends_after_it_starts",
            ),
            models.UniqueConstraint(
                fields=["client"], condition=Q(ended_at__isnull=True), name="one_current_owner"
            ),
        ]
        indexes = [models.Index(fields=["owner", "started_at"])]

    def __str__(self) -> str:
        return f"{self.client} owned by {self.owner} from {self.started_at:%Y-%m-%d}"


class ClientStatusChange(models.Model):
    """A dated lifecycle change: became active, churned (with a reason), or came back."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="status_changes")
    status = models.CharField(max_length=16, choices=LifecycleStatus.choices)
    effective_on = models.DateField()
    reason = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["client", "effective_on", "id"]
        indexes = [models.Index(fields=["client", "effective_on"])]

    def __str__(self) -> str:
        return f"{self.client} {self.status} on {self.effective_on}"


def email_key(field: str = "email") -> models.Func:
    """``accounts.models.normalise_email`` in SQL, over ``field``, for joins and filters."""
    return Lower(Trim(field))


class Contact(TracksUpdates):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=150, validators=[validate_single_line])
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    role = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    opted_out_of_surveys = models.BooleanField(default=False)
    opted_out_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["client", "name"]),
            models.Index(fields=["email"]),
            models.Index(email_key(), name="contact_email_key"),
        ]

    def __str__(self) -> str:
        return self.name


class EmailSuppression(models.Model):
    """An address that must not be sent a survey, whichever contact (now or later) carries it.

    Keyed by the normalised address, not by a contact, so deleting and re-creating a contact or
    importing it again with different capitals never re-enables it. Only an administrator
    removes a row (in the admin), which is the deliberate way to send to the address again.
    """

    class Reason(models.TextChoices):
        OPTED_OUT = "opted_out", "Opted out"
        BOUNCED = "bounced", "Bounced"
        COMPLAINED = "complained", "Complained (marked as spam)"

    address = models.CharField(max_length=254, unique=True, help_text="Trimmed, lower case.")
    reason = models.CharField(max_length=16, choices=Reason.choices)
    detail = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["address"]

    def __str__(self) -> str:
        return f"{self.address} ({self.get_reason_display().lower()} {self.created_at:%Y-%m-%d})"

    @property
    def explanation(self) -> str:
        """Why nothing is sent, in words a BRM reads on a page or in an import report."""
        return f"{self.get_reason_display().lower()} on {timezone.localdate(self.created_at)}"


# An e-mail or message sent to the client: what the reply rate counts (``Interaction``'s kinds
# and directions, spelled out because the class's own choices are not yet defined here).
OUTBOUND_MESSAGE = Q(direction="outbound", kind__in=["email", "message"])


class Interaction(TracksUpdates):
    class Kind(models.TextChoices):
        MEETING = "meeting", "Meeting"
        CALL = "call", "Call"
        EMAIL = "email", "E-mail"
        MESSAGE = "message", "Message"
        EVENT = "event", "Event attended"
        NOTE = "note", "Note"

    class Direction(models.TextChoices):
        INBOUND = "inbound", "Inbound"
        OUTBOUND = "outbound", "Outbound"
        INTERNAL = "internal", "Internal"
        # Both sides spoke: what a meeting or an attended event is, and their default.
        TWO_WAY = "two_way", "Two-way"

    # Looked up by the indexes below that begin with them (``Meta.indexes``), not indexes of
    # their own: each index is one more B-tree every logged interaction writes.
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="interactions", db_index=False
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="credited_interactions",
        db_index=False,
    )
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="logged_interactions"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    direction = models.CharField(max_length=16, choices=Direction.choices)
    occurred_at = models.DateTimeField()
    topic = models.CharField(max_length=100, blank=True)
    summary = models.TextField(blank=True)
    contacts = models.ManyToManyField(Contact, blank=True, related_name="interactions")
    in_reply_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replies",
        help_text="The outbound message this inbound one answers.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords(m2m_fields=[contacts])

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [
            # An owner's interactions in time order, with their kind: a KPI backfill counts
            # an owner's interactions but the notes per month from the index alone (0017).
            models.Index(
                fields=["owner", "occurred_at"],
                include=["kind"],
                name="crm_interac_owner_kind_idx",
            ),
            # A client's interactions in time order, with what makes one a touch (not a note)
            # or a two-way touch: the KPI book's touches of a period, and ``book``'s probes,
            # read the index alone on PostgreSQL (``include`` is ignored where unsupported).
            models.Index(
                fields=["client", "occurred_at"],
                include=["kind", "direction"],
                name="crm_interac_client_touch_idx",
            ),
            # The outbound e-mails and messages (what the reply rate counts) in time order, with
            # what it groups and tests them by: a KPI backfill reads these three in ten
            # interactions from the index alone instead of scanning the table
            # (docs/kpis-implementation.md, "Replies by topic"). Only they write to it.
            models.Index(
                fields=["occurred_at"],
                include=["owner", "topic", "id"],
                condition=OUTBOUND_MESSAGE,
                name="crm_interac_outbound_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} with {self.client} on {self.occurred_at:%Y-%m-%d}"

    @property
    def is_two_way(self) -> bool:
        return self.kind in TWO_WAY_KINDS or self.direction == self.Direction.INBOUND

    def clean(self):
        # The KPI contract (engagement_rate) counts meetings and events as two-way by kind and
        # other kinds only when inbound: a call marked "two-way" would claim what it does not count.
        if self.direction == self.Direction.TWO_WAY and self.kind not in TWO_WAY_KINDS:
            raise ValidationError(
                {
                    "direction": "Only a meeting or an event is two-way; a call, e-mail or "
                    "message is inbound or outbound."
                }
            )


# Kinds of interaction that are a conversation in themselves (docs/kpis.md engagement_rate).
TWO_WAY_KINDS = (Interaction.Kind.MEETING, Interaction.Kind.EVENT)


class ContactReach(models.Model):
    """One contact named on one interaction (a row of ``Interaction.contacts``' link table),
    with the interaction's credited owner and instant: what the KPI engine's contacts reached
    count, read from the link table alone.

    ``owner_id`` and ``occurred_at`` are two columns Django does not manage on that table:
    database triggers (migration ``crm.0016``, on PostgreSQL and SQLite) copy them from the
    interaction when a link is inserted, and follow every change of an interaction's owner or
    instant, whatever makes it (a form, the API, an import, a bulk update, the demo loader);
    a value written here directly is replaced by the interaction's. Links are written through
    ``Interaction.contacts``. On SQLite a migration that rebuilds either table must drop the
    triggers and create them again (``crm.0016`` says how). Their index (owner, contact,
    instant) hands a backfill each BRM's contacts in order, to be grouped as they come without
    a join or a hash (docs/kpis-implementation.md, "Contacts reached from the links alone").
    """

    interaction = models.ForeignKey(
        Interaction, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
    )
    occurred_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "crm_interaction_contacts"

    def __str__(self) -> str:
        return f"contact {self.contact_id} on interaction {self.interaction_id}"


class FollowUpQuerySet(TrackedQuerySet):
    def open(self) -> FollowUpQuerySet:
        """Neither done nor cancelled: still somebody's job."""
        return self.filter(done_at__isnull=True, cancelled_at__isnull=True)


class FollowUp(TracksUpdates):
    """Something a BRM promised to do for a client by ``due_on``.

    Due-date history (docs/kpis.md ``follow_up_on_time_rate``): every change of ``due_on`` is
    a ``FollowUpDueChange`` row (from, to, when, by whom), written by
    ``crm.services.follow_up_reschedule``. The due date in force at an instant ``t`` is the
    ``to_due_on`` of the latest change with ``changed_at <= t``; before the first change it is
    that change's ``from_due_on``; with no change it is ``due_on``.

    Rescheduling is history, not a reset. ``missed_due_on`` is the due date the follow-up was
    judged against when it was first moved after that date had passed (a local date later than
    the due date in force); it never changes again. The date a follow-up is judged against is
    therefore ``Coalesce(missed_due_on, due_on)`` (``judged_due_on``): one moved before it fell
    due is judged against its new date, one moved late against the date it missed.

    Cancelled (``cancelled_at`` set, with a reason): it counts only if it was cancelled after it
    fell due, i.e. on a local date after ``judged_due_on``, and then as missed. A follow-up is
    never both done and cancelled.
    """

    class Origin(models.TextChoices):
        MANUAL = "manual", "Manual"
        INTERACTION = "interaction", "Logged with an interaction"
        SURVEY_DETRACTOR = "survey_detractor", "Survey detractor"
        SUPPORT_ISSUE = "support_issue", "Support issue"
        IMPORT = "import", "Imported"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="follow_ups")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="follow_ups"
    )
    title = models.CharField(max_length=200)
    due_on = models.DateField(help_text="The due date in force now.")
    missed_due_on = models.DateField(
        null=True,
        blank=True,
        help_text="The due date it had already missed when first rescheduled late; "
        "the on-time rate judges it against this date.",
    )
    done_at = models.DateTimeField(null=True, blank=True)
    outcome = models.TextField(blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    origin = models.CharField(max_length=32, choices=Origin.choices, default=Origin.MANUAL)
    interaction = models.ForeignKey(
        Interaction, null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = FollowUpQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["owner", "due_on"]),
            models.Index(fields=["owner", "done_at"]),
            models.Index(fields=["client", "done_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(done_at__isnull=True) | Q(cancelled_at__isnull=True),
                name="follow_up_not_done_and_cancelled",
            ),
            models.CheckConstraint(
                condition=Q(cancelled_at__isnull=True) | ~Q(cancel_reason=""),
                name="follow_up_cancelled_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def is_open(self) -> bool:
        return not self.is_done and not self.is_cancelled

    @property
    def judged_due_on(self) -> date:
        """The due date the on-time rate judges this follow-up against (see the class)."""
        return self.missed_due_on or self.due_on

    def is_overdue(self, today: date | None = None) -> bool:
        return self.is_open and self.due_on < (today or timezone.localdate())

    def days_overdue(self, today: date | None = None) -> int:
        """Whole days since it fell due (0 when not overdue)."""
        if not self.is_overdue(today):
            return 0
        return ((today or timezone.localdate()) - self.due_on).days

    @property
    def was_on_time(self) -> bool:
        return self.is_done and timezone.localtime(self.done_at).date() <= self.judged_due_on


class FollowUpDueChange(models.Model):
    """One reschedule of a follow-up: its due date went from ``from_due_on`` to ``to_due_on`` at
    ``changed_at``, by ``changed_by``. ``was_overdue`` records that ``from_due_on`` had already
    passed (in local time) when it was moved: such a move does not reset the on-time judgement."""

    follow_up = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="due_changes")
    from_due_on = models.DateField()
    to_due_on = models.DateField()
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    was_overdue = models.BooleanField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["follow_up", "changed_at", "id"]
        indexes = [models.Index(fields=["follow_up", "changed_at"])]

    def __str__(self) -> str:
        return f"{self.follow_up}: {self.from_due_on} → {self.to_due_on}"


class Priority(models.TextChoices):
    URGENT = "urgent", "Urgent"
    HIGH = "high", "High"
    NORMAL = "normal", "Normal"
    LOW = "low", "Low"


class SupportIssue(TracksUpdates):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ANSWERED = "answered", "Answered"
        RESOLVED = "resolved", "Resolved"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="support_issues")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="support_issues"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    priority = models.CharField(max_length=16, choices=Priority.choices, default=Priority.NORMAL)
    # The SLA in force when the issue was opened, so a later settings change never restates
    # whether an old issue breached it.
    sla_hours = models.PositiveIntegerField()
    opened_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="support_issues"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-opened_at"]
        indexes = [
            models.Index(fields=["owner", "resolved_at"]),
            models.Index(fields=["owner", "first_response_at"]),
            models.Index(fields=["status", "opened_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(first_response_at__isnull=True)
                | Q(first_response_at__gte=F("opened_at")),
                name="issue_response_after_open",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=F("opened_at")),
                name="issue_resolved_after_open",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def sla_deadline(self) -> datetime:
        return self.opened_at + timezone.timedelta(hours=self.sla_hours)

    @property
    def breached_sla(self) -> bool:
        end = self.resolved_at or timezone.now()
        return end > self.sla_deadline


class Product(models.Model):
    name = models.CharField(max_length=150, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StageKind(models.TextChoices):
    OPEN = "open", "Open"
    WON = "won", "Won"
    LOST = "lost", "Lost"


def win_probability(help_text: str) -> models.PositiveSmallIntegerField:
    """An optional percent chance of winning a deal (0-100), as a stage's default and as a
    deal's own figure (``Deal.effective_probability`` reads both)."""
    return models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(100)], help_text=help_text
    )


class DealStage(models.Model):
    """A configurable pipeline stage. Won and lost stages are terminal."""

    name = models.CharField(max_length=60, unique=True)
    position = models.PositiveSmallIntegerField(unique=True)
    kind = models.CharField(max_length=8, choices=StageKind.choices, default=StageKind.OPEN)
    default_probability = win_probability(
        "Percent chance of winning a deal in this stage, used when the deal has no "
        "probability of its own (blank = 0)."
    )

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_terminal(self) -> bool:
        return self.kind != StageKind.OPEN


class LostReason(models.Model):
    """A configurable reason a deal was lost (admins keep the list in the admin)."""

    name = models.CharField(max_length=100, unique=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Deal(TracksUpdates):
    class Kind(models.TextChoices):
        NEW = "new", "New business"
        UPSELL = "upsell", "Upsell"
        CROSS_SELL = "cross_sell", "Cross-sell"
        RENEWAL = "renewal", "Renewal"

    class PartnerRole(models.TextChoices):
        SOURCED = "sourced", "Sourced"
        INFLUENCED = "influenced", "Influenced"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="deals")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="deals"
    )
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.NEW)
    value = models.DecimalField(**MONEY, validators=[MinValueValidator(0)])
    created_at = models.DateTimeField()
    stage = models.ForeignKey(DealStage, on_delete=models.PROTECT, related_name="deals")
    closed_at = models.DateTimeField(null=True, blank=True)
    partner = models.ForeignKey(
        Client,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="partner_deals",
        limit_choices_to={"relationship_type": RelationshipType.PARTNER},
    )
    partner_role = models.CharField(max_length=16, choices=PartnerRole.choices, blank=True)
    expected_close_on = models.DateField(null=True, blank=True)
    probability = win_probability(
        "Percent chance of winning; blank = the stage's default. The pipeline's weighted "
        "total uses it."
    )
    lost_reason = models.ForeignKey(
        "LostReason", null=True, blank=True, on_delete=models.PROTECT, related_name="deals"
    )
    lost_note = models.CharField(max_length=300, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "closed_at"]), models.Index(fields=["stage"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    @property
    def effective_probability(self) -> int:
        """The percent chance (0–100) the pipeline weighs this deal by: its own probability,
        else its stage's default, else 0. The one place this rule lives: the pipeline's
        weighted totals, its CSV and the API read it. Reads ``stage``: select it with the deal."""
        if self.probability is not None:
            return self.probability
        default = self.stage.default_probability
        return 0 if default is None else default


class DealStageChange(models.Model):
    """One move of a deal between stages: it left ``from_stage`` (entered at
    ``entered_from_at``) and entered ``to_stage`` at ``changed_at``. A deal's creation is the
    change with no ``from_stage``. ``owner`` is the BRM credited at ``changed_at``."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="stage_changes")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="deal_stage_changes"
    )
    from_stage = models.ForeignKey(
        DealStage, null=True, blank=True, on_delete=models.PROTECT, related_name="exits"
    )
    to_stage = models.ForeignKey(DealStage, on_delete=models.PROTECT, related_name="entries")
    entered_from_at = models.DateTimeField(null=True, blank=True)
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["deal", "changed_at", "id"]
        indexes = [models.Index(fields=["owner", "changed_at"])]

    def __str__(self) -> str:
        return f"{self.deal}: {self.from_stage or 'created'} → {self.to_stage}"


class RevenueLine(TracksUpdates):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="revenue_lines")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="revenue_lines"
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="revenue_lines")
    recognised_on = models.DateField()
    amount = models.DecimalField(**MONEY)
    cost_to_serve = models.DecimalField(**MONEY, default=0, validators=[MinValueValidator(0)])
    deal = models.ForeignKey(
        Deal, null=True, blank=True, on_delete=models.SET_NULL, related_name="revenue_lines"
    )
    description = models.CharField(max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-recognised_on"]
        indexes = [
            models.Index(fields=["owner", "recognised_on"]),
            models.Index(fields=["client", "recognised_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.client} {self.product} {self.amount} on {self.recognised_on}"


class Project(models.Model):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="projects")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="projects"
    )
    name = models.CharField(max_length=200)
    started_on = models.DateField(null=True, blank=True)
    due_on = models.DateField()
    completed_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["due_on"]
        indexes = [models.Index(fields=["owner", "due_on"])]

    def __str__(self) -> str:
        return self.name

    @property
    def completed_on_time(self) -> bool:
        return (
            self.completed_at is not None
            and timezone.localtime(self.completed_at).date() <= self.due_on
        )


class SharedGoal(models.Model):
    """A goal agreed with a (strategic) client. ``met`` is null until the goal is assessed."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="shared_goals")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="shared_goals"
    )
    title = models.CharField(max_length=200)
    due_on = models.DateField()
    met = models.BooleanField(null=True, blank=True)
    assessed_on = models.DateField(null=True, blank=True)
    last_reviewed_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["due_on"]
        indexes = [models.Index(fields=["owner", "due_on"])]

    def __str__(self) -> str:
        return self.title


class GoalReview(models.Model):
    """Each review of a shared goal, so alignment can be computed for any past period."""

    goal = models.ForeignKey(SharedGoal, on_delete=models.CASCADE, related_name="reviews")
    reviewed_on = models.DateField()
    note = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-reviewed_on"]
        indexes = [models.Index(fields=["goal", "reviewed_on"])]

    def __str__(self) -> str:
        return f"{self.goal} reviewed {self.reviewed_on}"


class FeedbackItem(models.Model):
    class Outcome(models.TextChoices):
        IMPLEMENTED = "implemented", "Implemented"
        DECLINED = "declined", "Declined"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="feedback_items")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="feedback_items"
    )
    summary = models.CharField(max_length=300)
    received_on = models.DateField()
    closed_on = models.DateField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-received_on"]
        indexes = [models.Index(fields=["owner", "closed_on"])]
        constraints = [
            models.CheckConstraint(
                condition=(Q(closed_on__isnull=True) & Q(outcome=""))
                | (Q(closed_on__isnull=False) & ~Q(outcome="")),
                name="feedback_closed_with_outcome",
            )
        ]

    def __str__(self) -> str:
        return self.summary


class PartnerReferral(models.Model):
    """A lead a partner client referred to us."""

    partner = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="referrals_made")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="partner_referrals"
    )
    lead_name = models.CharField(max_length=200)
    received_on = models.DateField()
    referred_client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.SET_NULL, related_name="referred_by"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-received_on"]
        indexes = [models.Index(fields=["owner", "received_on"])]

    def __str__(self) -> str:
        return f"{self.lead_name} from {self.partner}"


class PartnerCertification(models.Model):
    partner = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="certifications")
    name = models.CharField(max_length=150)
    valid_from = models.DateField()
    valid_until = models.DateField()

    history = HistoricalRecords()

    class Meta:
        ordering = ["-valid_until"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gte=F("valid_from")), name="certification_valid_range"
            )
        ]

    def __str__(self) -> str:
        return f"{self.partner}: {self.name} until {self.valid_until}"


class ImportBatch(models.Model):
    """One imported file: which format, its name, who imported it and when. Every record it
    created is listed in ``ImportedRecord``, so any record can say where it came from."""

    record_type = models.CharField(max_length=40)
    file_name = models.CharField(max_length=255, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    imported_at = models.DateTimeField(default=timezone.now)
    row_count = models.PositiveIntegerField(default=0)
    # SHA-256 of the file's bytes, in hex: the same file imported again is noticed
    # (``crm.imports.services.earlier_import``). Blank for batches imported before it was kept.
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta:
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        who = self.imported_by or "an operator"
        return f"{self.file_name or self.record_type} by {who} on {self.imported_at:%Y-%m-%d}"


class ImportedRecord(models.Model):
    """A record that came from an import, whatever its model (one table for every format, so
    the record tables need no column of their own)."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="records")
    content_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id"], name="imported_record_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.content_type.model} {self.object_id} from {self.batch}"


class ImportJob(models.Model):
    """A file uploaded on the import page, checked (a dry run) or imported by a background
    job. The stored file is shared by a dry run and the import confirmed from it; it is deleted
    once it cannot be imported any more (see ``crm.imports.jobs``)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        DONE = "done", "done"
        # The job stopped on an unexpected error; its transaction was rolled back.
        FAILED = "failed", "failed"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_jobs"
    )
    record_type = models.CharField(max_length=40)
    file = models.FileField(upload_to="imports/%Y/%m/", blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    dry_run = models.BooleanField(default=True)
    # The dry run this import was confirmed from.
    checked_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="confirmed_by"
    )
    # The owner ticked "Import it again anyway": the file was imported before, and they know.
    import_again = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # Lines of the file but the header: a record may span lines, so the total is an estimate.
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    # ``crm.imports.services.ImportReport.as_json``, once the job is done or failed.
    report = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        action = "dry run" if self.dry_run else "import"
        return f"{action} of {self.file_name or self.record_type} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
