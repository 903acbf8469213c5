"""The survey CSV formats: historic answers and invitations imported as the same records the
e-mail link and the outbox create. They are registered with the book's importer from
``SurveysConfig.ready``, so ``crm`` never imports ``surveys``; the conventions are those of
``crm.imports.formats``."""

from __future__ import annotations

import secrets
from collections import defaultdict
from datetime import timedelta

from django.conf import settings

from crm.imports.columns import Column, Kind
from crm.imports.context import ImportContext, Row, contact_id
from crm.imports.formats import CLIENT, EventFormat, choice_column, not_in_future
from crm.models import FollowUp
from surveys.models import SCALES, Invitation, Response, SurveyKind, SurveyQuestion, hash_token

IMPORTED_STATUSES = (
    Invitation.Status.DELIVERED,
    Invitation.Status.BOUNCED,
    Invitation.Status.FAILED,
    Invitation.Status.SUPPRESSED,
)


class _SurveyRecordsFormat(EventFormat):
    """What the survey formats share. Answers and invitations are the client's voice and the
    response rate's denominator: a BRM importing them for their own clients could manufacture
    their NPS, so only an administrator imports them. Each row names its client, the kind of
    survey and, by name, a contact of the client."""

    admin_only = True

    def prepare(self, rows: list[Row], ctx: ImportContext) -> None:
        self._contacts = ctx.contacts_by_name(row.client for row in rows)


KIND = choice_column("kind", SurveyKind, required=True, example="nps")


class SurveyAnswersFormat(_SurveyRecordsFormat):
    key = "survey_answers"
    label = "survey answers"
    model = Response
    sort_by = ("client.name", "answered_at")
    help = (
        "Historic survey answers. They become the same records as answers given from an "
        "e-mail (marked as imported), credited to the owner at answered_at, and count in the "
        "survey KPIs. Importing sends no e-mail and opens no follow-up."
    )
    columns = (
        CLIENT,
        KIND,
        Column(
            "score",
            Kind.INTEGER,
            required=True,
            help="NPS 0–10, CSAT 1–5, client effort 1–7",
            example="9",
        ),
        Column("answered_at", Kind.DATETIME, required=True, example="2024-11-20T14:05:00+00:00"),
        Column("contact", help="a contact of the client, by name", source="contact.name"),
        Column("comment"),
        Column("may_quote", Kind.BOOLEAN, help="default false"),
        Column(
            "follow_up",
            help="the title of the client's follow-up that closed the loop on this answer "
            "(import follow_ups first); its completion counts in closed_loop_rate",
            example="Call Dana back about the invoices",
            source="follow_up.title",
        ),
    )

    def prepare(self, rows: list[Row], ctx: ImportContext) -> None:
        super().prepare(rows, ctx)
        clients = {row.client.pk for row in rows}
        self._follow_ups: dict[tuple[int, str], list[int]] = defaultdict(list)
        self._linked: set[int] = set()
        for pk, client_id, title, linked in FollowUp.objects.filter(client__in=clients).values_list(
            "pk", "client_id", "title", "response"
        ):
            self._follow_ups[(client_id, title.casefold())].append(pk)
            if linked is not None:
                self._linked.add(pk)
        self._claimed: dict[int, int] = {}

    def _follow_up_id(self, row: Row) -> int | None:
        """The follow-up named in the row: one of its client's, not already closing another
        answer (in the book or on an earlier line)."""
        title = row.values["follow_up"]
        if not title:
            return None
        ids = self._follow_ups.get((row.client.pk, title.casefold()), [])
        if len(ids) != 1:
            count = f"{len(ids)} follow-ups" if ids else "no follow-up"
            row.fail(f'follow_up: {row.client} has {count} titled "{title}".')
            return None
        if ids[0] in self._linked:
            row.fail(f'follow_up: "{title}" already closes the loop on another answer.')
            return None
        if ids[0] in self._claimed:
            row.fail(f'follow_up: "{title}" is also named on line {self._claimed[ids[0]]}.')
            return None
        self._claimed[ids[0]] = row.line
        return ids[0]

    def build(self, row: Row, ctx: ImportContext) -> Response:
        values = row.values
        low, high = SCALES[values["kind"]]
        if not low <= values["score"] <= high:
            row.fail(f"score: a {values['kind']} answer is from {low} to {high}.")
        not_in_future(row, "answered_at")
        return Response(
            client=row.client,
            contact_id=(
                contact_id(row, "contact", values["contact"], self._contacts)
                if values["contact"]
                else None
            ),
            owner_id=ctx.owner_id_at(row.client, values["answered_at"]),
            kind=values["kind"],
            score=values["score"],
            comment=values["comment"],
            may_quote=bool(values["may_quote"]),
            answered_at=values["answered_at"],
            updated_at=values["answered_at"],
            source=Response.Source.IMPORT,
            follow_up_id=self._follow_up_id(row),
        )


class SurveyInvitationsFormat(_SurveyRecordsFormat):
    key = "survey_invitations"
    label = "survey invitations"
    model = Invitation
    sort_by = ("client.name", "created_at")
    help = (
        "Historic survey invitations, so that survey_response_rate has its delivered "
        "denominator for imported periods: each was sent to a contact at sent_at and was "
        "delivered, bounced, failed or suppressed. Credited to the owner at sent_at. The "
        "links of imported invitations never worked here, so nothing can be answered "
        "through them; import the answers with survey_answers. Sends nothing."
    )
    columns = (
        CLIENT,
        Column(
            "contact", required=True, help="a contact of the client, by name", source="contact.name"
        ),
        KIND,
        Column(
            "sent_at",
            Kind.DATETIME,
            required=True,
            example="2024-11-18T09:00:00+00:00",
            source="created_at",
        ),
        choice_column(
            "status",
            IMPORTED_STATUSES,
            required=True,
            help="delivered counts in the response rate; the others never reached the person",
            example="delivered",
        ),
        Column(
            "answered_at",
            Kind.DATETIME,
            help="only for a delivered invitation; not before sent_at",
        ),
        choice_column("trigger", Invitation.Trigger, help="default manual"),
    )

    def prepare(self, rows: list[Row], ctx: ImportContext) -> None:
        super().prepare(rows, ctx)
        self._wording = {question.kind: question for question in SurveyQuestion.objects.all()}

    def export_records(self, clients):
        # A queued invitation is still on its way: it is history only once it has an outcome.
        return super().export_records(clients).exclude(status=Invitation.Status.QUEUED)

    def build(self, row: Row, ctx: ImportContext) -> Invitation:
        values = row.values
        sent_at, answered_at = values["sent_at"], values["answered_at"]
        not_in_future(row, "sent_at")
        not_in_future(row, "answered_at")
        delivered = values["status"] == Invitation.Status.DELIVERED
        if answered_at is not None and not delivered:
            row.fail("answered_at is only for a delivered invitation.")
        if answered_at is not None and answered_at < sent_at:
            row.fail("answered_at cannot be before sent_at.")
        wording = self._wording.get(values["kind"])
        return Invitation(
            client=row.client,
            contact_id=contact_id(row, "contact", values["contact"], self._contacts),
            owner_id=ctx.owner_id_at(row.client, sent_at),
            kind=values["kind"],
            trigger=values["trigger"] or Invitation.Trigger.MANUAL,
            question=wording.question if wording else "",
            low_label=wording.low_label if wording else "",
            high_label=wording.high_label if wording else "",
            # A link that was never e-mailed from here: a random hash no token matches.
            token_hash=hash_token(secrets.token_urlsafe(32)),
            created_at=sent_at,
            expires_at=sent_at + timedelta(days=settings.SURVEY_EXPIRY_DAYS),
            status=values["status"],
            delivered_at=sent_at if delivered else None,
            answered_at=answered_at,
        )
