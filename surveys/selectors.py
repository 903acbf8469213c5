"""Reads for surveys: who may be surveyed now, what is due, and the results people see."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import (
    Avg,
    Case,
    CharField,
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from accounts.models import User, normalise_email
from crm.access import follow_ups_visible_to, records_visible_to
from crm.models import (
    Client,
    Contact,
    EmailSuppression,
    FollowUp,
    LifecycleStatus,
    email_key,
)
from surveys.models import (
    NPS_DETRACTOR_MAX,
    NPS_PROMOTER_MIN,
    SCALES,
    Invitation,
    OutboundEmail,
    Response,
    SurveyExclusion,
    SurveyKind,
    hash_token,
)

# --- Who may be surveyed --------------------------------------------------------------------------


_UNREACHED = (Invitation.Status.FAILED, Invitation.Status.SUPPRESSED)


def invitations_to_address(address_key) -> QuerySet[Invitation]:
    """Invitations sent to the person behind a normalised address (an expression or value),
    whichever of their contacts it went to. Ones that never reached them are left out."""
    return (
        Invitation.objects.annotate(address=email_key("contact__email"))
        .filter(address=address_key)
        .exclude(status__in=_UNREACHED)
    )


def _survey_rules(*, now: datetime, throttle: bool) -> list[tuple[Q | Exists, str]]:
    """The survey rules in order, as (condition on a contact annotated with ``email_key``, why
    it blocks). Each condition is a plain column test or an ``EXISTS`` probe, so the rules read
    the same whether they name the first block (``contacts_with_survey_status``) or keep only
    contacts that pass them all (``contacts_eligible_for_survey``, as anti-joins)."""
    window = settings.SURVEY_THROTTLE_DAYS
    suppressed = EmailSuppression.objects.filter(address=OuterRef("email_key"))
    excluded = SurveyExclusion.objects.filter(contact=OuterRef("pk"), lifted_at__isnull=True)
    reason = EmailSuppression.Reason
    rules: list[tuple[Q | Exists, str]] = [
        (Q(email_key=""), "has no e-mail address"),
        (Q(opted_out_of_surveys=True), "opted out of surveys"),
        (
            Exists(suppressed.filter(reason=reason.OPTED_OUT)),
            "opted out of surveys (the address is suppressed)",
        ),
        (
            Exists(suppressed.filter(reason=reason.BOUNCED)),
            "has an address that bounced (suppressed)",
        ),
        (
            Exists(suppressed.filter(reason=reason.COMPLAINED)),
            "marked a survey e-mail as spam (the address is suppressed)",
        ),
        (~Q(client__status=LifecycleStatus.ACTIVE), "belongs to a churned client"),
        (Exists(excluded), "is excluded from surveys"),
    ]
    if throttle:
        recent = invitations_to_address(OuterRef("email_key")).filter(
            created_at__gt=now - timedelta(days=window)
        )
        rules.append((Exists(recent), f"was sent a survey in the last {window} days"))
    return rules


def contacts_with_survey_status(
    *, now: datetime | None = None, throttle: bool = True
) -> QuerySet[Contact]:
    """Contacts annotated with ``survey_block``: why they may not be surveyed now, or "" if they
    may. This is the one statement of the rules, whatever the trigger: no e-mail address, an
    address on the suppression list (opted out, bounced, complained), a churned client, excluded
    by a BRM, or the same address already surveyed within the throttle window. The address,
    normalised, is the person: two contacts spelling it differently share one opt-out and one
    throttle. ``throttle=False`` leaves the window out, for re-checking an invitation already
    made (which itself counts in the window) at the moment its e-mail goes out.

    The reason is a ``CASE`` evaluated row by row, each rule a probe by index: meant for a few
    contacts (one client, one invitation). To pick contacts from many, use
    ``contacts_eligible_for_survey``.
    """
    rules = _survey_rules(now=now or timezone.now(), throttle=throttle)
    return (
        Contact.objects.select_related("client")
        .annotate(email_key=email_key())
        .annotate(
            survey_block=Case(
                *(When(condition, then=Value(why)) for condition, why in rules),
                default=Value(""),
                output_field=CharField(),
            )
        )
    )


def contacts_eligible_for_survey(*, now: datetime | None = None) -> QuerySet[Contact]:
    """Contacts who may be surveyed now: those ``contacts_with_survey_status`` gives no reason
    (``survey_block`` is "" on every row).

    The rules are ``NOT EXISTS`` filters, which PostgreSQL plans as anti-joins over whole sets.
    Filtering on the ``CASE`` instead re-ran the throttle's subquery once per contact: after a
    bulk load, before statistics, each run was a scan of every invitation (the demo seed at
    twice the benchmark's scale never finished), and even with statistics it is a pair of index
    probes per contact (numbers: docs/kpis-implementation.md, "Benchmark").
    """
    rules = _survey_rules(now=now or timezone.now(), throttle=True)
    return (
        Contact.objects.select_related("client")
        .annotate(email_key=email_key())
        .filter(*(~condition for condition, _ in rules))
        .annotate(survey_block=Value("", output_field=CharField()))
    )


def contact_survey_status(*, pk: int, now: datetime | None = None) -> Contact | None:
    """One contact with its client and ``survey_block`` (as ``contacts_with_survey_status``
    gives it), or None if the contact no longer exists: the check before each send.

    Eligibility is asked of the anti-joins first, each rule probed by index for this one
    contact; only a blocked contact pays for the ``CASE`` that names the reason. Asked of the
    ``CASE`` alone, the throttle's subquery may be planned to stop at its first match, as a scan
    of every invitation, which is a full scan for everyone not surveyed lately: a quarter of a
    second per send at twice the benchmark's scale, before statistics.
    """
    now = now or timezone.now()
    contact = contacts_eligible_for_survey(now=now).filter(pk=pk).first()
    if contact is None:
        contact = contacts_with_survey_status(now=now).filter(pk=pk).first()
    return contact


def contacts_due_for_relationship_nps(*, now: datetime | None = None) -> list[int]:
    """Ids of contacts who may be surveyed and whose address had no relationship NPS within the
    cycle: one contact per address (the oldest), so one person gets one e-mail per run."""
    now = now or timezone.now()
    last_cycle = invitations_to_address(OuterRef("email_key")).filter(
        kind=SurveyKind.NPS,
        trigger=Invitation.Trigger.RELATIONSHIP_CYCLE,
        created_at__gt=now - timedelta(days=settings.SURVEY_NPS_CYCLE_DAYS),
    )
    due = (
        contacts_eligible_for_survey(now=now)
        .exclude(Exists(last_cycle))
        .order_by("pk")
        .values_list("pk", "email_key")
    )
    first_per_address: dict[str, int] = {}
    for pk, key in due:
        first_per_address.setdefault(key, pk)
    return list(first_per_address.values())


def survey_email_block(email: OutboundEmail, *, now: datetime | None = None) -> str:
    """Why a queued survey e-mail must not go out now, or "": the contact's standing rules
    (suppressed, churned, excluded: not the throttle, which its own invitation is part of), and
    the suppression of the very address the e-mail is written to."""
    if email.invitation_id is None:
        return ""
    contact = (
        contacts_with_survey_status(now=now, throttle=False)
        .filter(invitations=email.invitation_id)
        .first()
    )
    if contact is None:
        return "the contact no longer exists"
    if contact.survey_block:
        return f"{contact.name} {contact.survey_block}"
    listed = EmailSuppression.objects.filter(address=normalise_email(email.to)).first()
    if listed is not None:
        return f"{email.to} is suppressed: {listed.explanation}"
    return ""


# --- Background work that is due ------------------------------------------------------------------


def invitations_due_for_reminder(*, now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(
        Invitation.objects.filter(
            status=Invitation.Status.DELIVERED,
            answered_at__isnull=True,
            reminder_sent_at__isnull=True,
            created_at__lte=now - timedelta(days=settings.SURVEY_REMINDER_AFTER_DAYS),
            expires_at__gt=now,
            contact__opted_out_of_surveys=False,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def outbound_emails_due(*, now: datetime | None = None) -> list[int]:
    """Ids of e-mails to (re)try: queued or failed ones whose time has come, and ones whose
    sender's lease ran out (its worker died mid-send)."""
    now = now or timezone.now()
    return list(
        OutboundEmail.objects.filter(
            status__in=[
                OutboundEmail.Status.QUEUED,
                OutboundEmail.Status.FAILED,
                OutboundEmail.Status.SENDING,
            ],
            next_attempt_at__lte=now,
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)
    )


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation a link's token belongs to (first e-mail or reminder), or None."""
    digest = hash_token(token)
    return (
        Invitation.objects.select_related("client", "contact", "owner")
        .filter(Q(token_hash=digest) | Q(reminder_token_hash=digest))
        .first()
    )


# --- Results --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreBar:
    score: int
    count: int
    percent: float  # share of the answers, for the bar's width


@dataclass(frozen=True)
class KindResult:
    """One survey kind's answers: the distribution over its scale and its headline value.
    ``value`` is None when there are no answers: no data is not zero."""

    kind: str
    label: str
    n: int
    bars: list[ScoreBar]
    value: float | None
    low_sample: bool
    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    margin_of_error: float | None = None


@dataclass(frozen=True)
class ResponseRate:
    """Answered over delivered invitations, with clicked-but-unconfirmed scores beside it."""

    delivered: int
    answered: int
    provisional: int

    @property
    def percent(self) -> float | None:
        return 100 * self.answered / self.delivered if self.delivered else None


@dataclass(frozen=True)
class SurveyResults:
    nps: KindResult
    csat: KindResult
    ces: KindResult
    response_rate: ResponseRate

    @property
    def kinds(self) -> list[KindResult]:
        return [self.nps, self.csat, self.ces]


def _kind_result(kind: str, counts: dict[int, int]) -> KindResult:
    low, high = SCALES[kind]
    n = sum(counts.values())
    bars = [
        ScoreBar(score, counts.get(score, 0), 100 * counts.get(score, 0) / n if n else 0.0)
        for score in range(low, high + 1)
    ]
    low_sample = 0 < n < settings.SURVEY_MIN_SAMPLE
    label = SurveyKind(kind).label
    if not n:
        return KindResult(kind, label, 0, bars, None, False)
    if kind == SurveyKind.NPS:
        promoters = counts.get(9, 0) + counts.get(10, 0)
        detractors = sum(counts.get(score, 0) for score in range(0, 7))
        p, d = promoters / n, detractors / n
        margin = 1.96 * 100 * math.sqrt(max(p + d - (p - d) ** 2, 0) / n)
        return KindResult(
            kind,
            label,
            n,
            bars,
            100 * (promoters - detractors) / n,
            low_sample,
            promoters=promoters,
            passives=n - promoters - detractors,
            detractors=detractors,
            margin_of_error=margin,
        )
    if kind == SurveyKind.CSAT:
        happy = counts.get(4, 0) + counts.get(5, 0)
        return KindResult(kind, label, n, bars, 100 * happy / n, low_sample)
    total = sum(score * count for score, count in counts.items())
    return KindResult(kind, label, n, bars, total / n, low_sample)


def survey_results(
    *, responses: QuerySet[Response], invitations: QuerySet[Invitation]
) -> SurveyResults:
    """NPS, CSAT, CES and the response rate over the given rows, in two queries."""
    counts: dict[str, dict[int, int]] = {kind: {} for kind in SCALES}
    for row in responses.order_by().values("kind", "score").annotate(n=Count("id")):
        counts[row["kind"]][row["score"]] = row["n"]
    rate = invitations.order_by().aggregate(
        delivered=Count("id", filter=Q(delivered_at__isnull=False)),
        answered=Count("id", filter=Q(answered_at__isnull=False)),
        provisional=Count(
            "id", filter=Q(provisional_score__isnull=False, answered_at__isnull=True)
        ),
    )
    return SurveyResults(
        nps=_kind_result(SurveyKind.NPS, counts[SurveyKind.NPS]),
        csat=_kind_result(SurveyKind.CSAT, counts[SurveyKind.CSAT]),
        ces=_kind_result(SurveyKind.CES, counts[SurveyKind.CES]),
        response_rate=ResponseRate(**rate),
    )


def responses_visible_to(user: User) -> QuerySet[Response]:
    return records_visible_to(user, Response.objects.all())


def invitations_visible_to(user: User) -> QuerySet[Invitation]:
    return records_visible_to(user, Invitation.objects.all())


def results_by_owner(*, responses: QuerySet[Response]) -> QuerySet:
    """One row per BRM credited with answers: NPS parts, CSAT parts and mean CES, in one
    grouped query (a team's figures are recomputed from answers, never averaged)."""
    nps, csat, ces = SurveyKind.NPS, SurveyKind.CSAT, SurveyKind.CES
    return (
        responses.order_by()
        .values("owner", "owner__full_name")
        .annotate(
            nps_n=Count("id", filter=Q(kind=nps)),
            promoters=Count("id", filter=Q(kind=nps, score__gte=NPS_PROMOTER_MIN)),
            detractors=Count("id", filter=Q(kind=nps, score__lte=NPS_DETRACTOR_MAX)),
            csat_n=Count("id", filter=Q(kind=csat)),
            csat_happy=Count("id", filter=Q(kind=csat, score__gte=4)),
            ces_n=Count("id", filter=Q(kind=ces)),
            ces_mean=Avg("score", filter=Q(kind=ces)),
        )
        .order_by("owner__full_name")
    )


def comments(*, responses: QuerySet[Response], limit: int = 50) -> QuerySet[Response]:
    return (
        responses.exclude(comment="")
        .select_related("client", "contact", "owner")
        .order_by("-answered_at")[:limit]
    )


# --- Exclusions -----------------------------------------------------------------------------------


def exclusions_per_brm(
    *,
    exclusions: QuerySet[SurveyExclusion] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    brm_ids: Iterable[int] | None = None,
) -> dict[int, int]:
    """How many contacts each BRM excluded from surveys in ``[start, end)``, keyed by user id:
    a scorecard shows it beside the survey KPIs, since hand-picking would flatter them.
    ``exclusions`` narrows the rows counted (to a user's clients, say)."""
    rows = (SurveyExclusion.objects.all() if exclusions is None else exclusions).order_by()
    if start is not None:
        rows = rows.filter(created_at__gte=start)
    if end is not None:
        rows = rows.filter(created_at__lt=end)
    if brm_ids is not None:
        rows = rows.filter(excluded_by_id__in=list(brm_ids))
    return dict(rows.values("excluded_by").annotate(n=Count("id")).values_list("excluded_by", "n"))


def exclusions_visible_to(user: User) -> QuerySet[SurveyExclusion]:
    return records_visible_to(
        user, SurveyExclusion.objects.all(), client_field="contact__client"
    ).select_related("contact__client", "excluded_by", "lifted_by")


# --- Closing the loop -----------------------------------------------------------------------------


def open_detractor_responses(
    *, follow_ups: QuerySet[FollowUp] | None = None, client: Client | None = None
) -> QuerySet[Response]:
    """Unhappy answers whose follow-up is still open: the loop is not closed yet. With
    ``follow_ups`` (e.g. ``crm.access.follow_ups_owned_by(user)``), only the answers behind
    those follow-ups; with ``client``, only that client's."""
    rows = Response.objects.filter(follow_up__isnull=False, follow_up__done_at__isnull=True)
    if follow_ups is not None:
        # From the owner's open follow-ups (index on owner, done_at; a BRM has a few hundred)
        # to their answers (unique index on follow_up_id). Given as a join or a subquery,
        # PostgreSQL walked every answer in the organisation with a follow-up instead
        # (31–129 ms at the benchmark's size, growing with the organisation; this: ~1 ms).
        open_follow_ups = follow_ups.filter(done_at__isnull=True)
        rows = rows.filter(follow_up_id__in=list(open_follow_ups.values_list("pk", flat=True)))
    if client is not None:
        rows = rows.filter(client=client)
    return rows.select_related("client", "contact", "follow_up").order_by("follow_up__due_on")


def worklist_detractors(user: User) -> QuerySet[Response]:
    """A manager's worklist (and its CSV): the unhappy answers with no closed loop behind the
    follow-ups ``user`` reads (their teams'; every one for an admin), with who owes each
    follow-up. Two queries."""
    return open_detractor_responses(follow_ups=follow_ups_visible_to(user)).select_related(
        "follow_up__owner"
    )


# --- The client page's panel ----------------------------------------------------------------------


@dataclass(frozen=True)
class ClientPanel:
    client: Client
    results: SurveyResults
    contacts: list[Contact]
    invitations: list[Invitation]
    problem_emails: list[OutboundEmail]
    recent_responses: list[Response]
    open_detractors: list[Response]


def client_survey_panel(*, client: Client, invitation_limit: int = 10) -> ClientPanel:
    open_exclusions = SurveyExclusion.objects.filter(lifted_at__isnull=True).select_related(
        "excluded_by"
    )
    contacts = list(
        contacts_with_survey_status()
        .filter(client=client)
        .prefetch_related(Prefetch("exclusions", open_exclusions, to_attr="open_exclusions"))
        .order_by("name")
    )
    invitations = list(
        client.invitations.select_related("contact", "response")
        .prefetch_related(Prefetch("emails", OutboundEmail.objects.order_by("created_at")))
        .order_by("-created_at")[:invitation_limit]
    )
    problem_emails = list(
        OutboundEmail.objects.filter(
            invitation__client=client,
            status__in=[
                OutboundEmail.Status.FAILED,
                OutboundEmail.Status.DEAD,
                OutboundEmail.Status.BOUNCED,
                OutboundEmail.Status.SUPPRESSED,
            ],
        )
        .select_related("invitation__contact")
        .order_by("-created_at")
    )
    responses = Response.objects.filter(client=client)
    return ClientPanel(
        client=client,
        results=survey_results(responses=responses, invitations=client.invitations.all()),
        contacts=contacts,
        invitations=invitations,
        problem_emails=problem_emails,
        recent_responses=list(responses.select_related("contact").order_by("-answered_at")[:5]),
        open_detractors=list(open_detractor_responses(client=client)),
    )
