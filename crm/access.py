"""Who may see and change what: the one place these rules live.

A BRM reads and writes their own book. A manager reads everything of the teams they manage and
may reassign those clients. An admin reads and writes everything. Something outside what a user
may read does not exist for them (404), so guessing ids reveals nothing; something they may read
but not change is a 403.

The vocabulary: ``<things>_visible_to(user)`` is the queryset a user may read,
``<thing>_for_user(user, pk)`` one object of it or Http404, ``may_<do>(user)`` a yes/no rule
about a page or an action. Records of higher apps (survey answers, invitations, exclusions, API
rows) are scoped through the client they belong to with ``records_visible_to``, so this module
knows only people, teams and clients and imports nothing above ``crm``. Scorecard subjects are
people, teams and the organisation: ``metrics.subjects`` builds them from the rules here.

``OBJECT_KINDS`` and ``PERMISSIONS`` list every rule; the access-matrix test
(``tests/security/test_access_matrix.py``) is generated from them, so a new rule is tested for
every role as soon as it is listed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import reduce
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import Role, Team, TeamMembership, User
from accounts.selectors import team_member_ids
from crm.models import (
    Client,
    Contact,
    FollowUp,
    ImportBatch,
    ImportJob,
    Interaction,
    PartnerCertification,
    PartnerReferral,
)


def _signed_in(user: User) -> bool:
    return user.is_authenticated and user.is_active


# --- People and teams -------------------------------------------------------------------------


def users_visible_to(user: User, day: date | None = None) -> QuerySet[User]:
    """The people whose books (and scorecards) ``user`` may read: everyone for an admin, the
    members of the teams they manage and themselves for a manager, themselves for a BRM.

    With ``day`` (a past period's last day), a manager also reads the people who were members
    of their teams on that day: a past scorecard follows the team as it was, so a BRM who has
    left still appears in it for the periods they were in it. Their book today is another
    matter (``clients_visible_to`` takes no day)."""
    if not _signed_in(user):
        return User.objects.none()
    if user.role == Role.ADMIN:
        return User.objects.all()
    if user.role == Role.MANAGER:
        team_ids = managed_teams_visible_to(user).values("id")
        members = Q(id__in=team_member_ids(team_ids)) | Q(pk=user.pk)
        if day is not None:
            members |= Q(id__in=team_member_ids(team_ids, day))
        return User.objects.filter(members)
    return User.objects.filter(pk=user.pk)


def person_for_user(user: User, pk: int, *, on: date | None = None) -> User:
    """The person ``pk`` if ``user`` may read their book (or, ``on`` a past day, their
    scorecard of a period ending then); Http404 otherwise."""
    person = users_visible_to(user, on).filter(pk=pk).first()
    if person is None:
        raise Http404("No such person.")
    return person


def managed_teams_visible_to(user: User, day: date | None = None) -> QuerySet[Team]:
    """The teams ``user`` oversees on ``day`` (today): every team for an admin, the teams they
    manage for a manager, none for a BRM. Their members' books and scorecards are the user's
    to read, side by side."""
    if not _signed_in(user):
        return Team.objects.none()
    if user.role == Role.ADMIN:
        return Team.objects.all()
    return Team.objects.filter(
        id__in=TeamMembership.objects.on(day or timezone.localdate())
        .filter(user=user, capacity=TeamMembership.Capacity.MANAGER)
        .values("team_id")
    )


def managed_team_for_user(user: User, pk: int) -> Team:
    """A team whose BRMs ``user`` may compare side by side (its manager, or an admin);
    Http404 otherwise."""
    team = managed_teams_visible_to(user).filter(pk=pk).first()
    if team is None:
        raise Http404("No such team.")
    return team


def teams_visible_to(user: User) -> QuerySet[Team]:
    """Teams whose totals ``user`` may see: the teams they oversee (all for an admin), or for a
    BRM the team they are a member of today."""
    if not _signed_in(user):
        return Team.objects.none()
    if user.role in (Role.ADMIN, Role.MANAGER):
        return managed_teams_visible_to(user)
    return Team.objects.filter(
        id__in=TeamMembership.objects.current()
        .filter(user=user, capacity=TeamMembership.Capacity.MEMBER)
        .values("team_id")
    )


def team_for_user(user: User, pk: int) -> Team:
    """A team whose totals ``user`` may see; Http404 otherwise."""
    team = teams_visible_to(user).filter(pk=pk).first()
    if team is None:
        raise Http404("No such team.")
    return team


# --- Clients and everything that belongs to one ------------------------------------------------


def clients_visible_to(user: User) -> QuerySet[Client]:
    """The clients ``user`` may read: those of the people whose books they read."""
    if not _signed_in(user):
        return Client.objects.none()
    if user.role == Role.ADMIN:
        return Client.objects.all()
    return Client.objects.filter(owner__in=users_visible_to(user))


def clients_writable_by(user: User) -> QuerySet[Client]:
    """The clients ``user`` may change: all for an admin, their own book otherwise."""
    if not _signed_in(user):
        return Client.objects.none()
    if user.role == Role.ADMIN:
        return Client.objects.all()
    return Client.objects.filter(owner=user)


def can_write_client(user: User, client: Client) -> bool:
    return user.role == Role.ADMIN or client.owner_id == user.pk


def clients_reassignable_by(user: User) -> QuerySet[Client]:
    """The clients ``user`` may hand to another BRM: those of the teams a manager manages (the
    clients they read), every client for an admin, none for a BRM."""
    if not may_reassign_clients(user):
        return Client.objects.none()
    return clients_visible_to(user)


def can_reassign_client(user: User, client: Client) -> bool:
    """A manager may hand over the clients of the teams they manage; an admin any client."""
    return user.role in (Role.ADMIN, Role.MANAGER) and (
        user.role == Role.ADMIN or clients_visible_to(user).filter(pk=client.pk).exists()
    )


def client_for_user(user: User, pk: int, *, write: bool = False) -> Client:
    """The client ``pk`` if ``user`` may read it (and write it, with ``write=True``).

    Raises Http404 when the user may not even read it and PermissionDenied when they may read
    but not write it.
    """
    client = clients_visible_to(user).select_related("owner").filter(pk=pk).first()
    if client is None:
        raise Http404("No such client.")
    if write and not can_write_client(user, client):
        raise PermissionDenied("You can read this client but not change it.")
    return client


def _rows(records: QuerySet | type[models.Model]) -> QuerySet:
    return records._default_manager.all() if isinstance(records, type) else records


def records_visible_to(
    user: User, records: QuerySet | type[models.Model], *, client_field: str = "client"
) -> QuerySet:
    """``records`` (a model, or any queryset of rows that belong to a client through
    ``client_field``, e.g. ``"contact__client"``) limited to the clients ``user`` may read.
    Book records, survey records, API lists and exports all use it, so every layer scopes by
    the same rule without this module importing them."""
    return _rows(records).filter(**{f"{client_field}__in": clients_visible_to(user)})


def record_for_user(
    user: User,
    records: QuerySet | type[models.Model],
    pk,
    *,
    write: bool = False,
    client_field: str = "client",
) -> Any:
    """The row ``pk`` of ``records`` with its client loaded, if ``user`` may read it (and change
    it, with ``write=True``). Raises Http404 when the user may not read it (or ``pk`` is not a
    number) and PermissionDenied when they may read but not change it."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404("No such record.") from None
    record = (
        records_visible_to(user, records, client_field=client_field)
        .select_related(f"{client_field}__owner")
        .filter(pk=pk)
        .first()
    )
    if record is None:
        raise Http404("No such record.")
    if write and not can_write_client(user, reduce(getattr, client_field.split("__"), record)):
        raise PermissionDenied("You can read this record but not change it.")
    return record


# A record (follow-up, interaction, contact, goal, ...) is visible exactly when its client is;
# changing it needs write access to the client. The named functions are the vocabulary views use.


def follow_ups_visible_to(user: User) -> QuerySet[FollowUp]:
    return records_visible_to(user, FollowUp)


def follow_up_for_user(user: User, pk, *, write: bool = False) -> FollowUp:
    return record_for_user(user, FollowUp, pk, write=write)


# Bulk actions take at most this many ids at once: more is not a page's selection.
BULK_LIMIT = 500


def all_for_user(rows: QuerySet, ids, *, noun: str = "records") -> list:
    """Every row of ``rows`` (a queryset of this module: what the user may change) whose pk is
    in ``ids``, for a bulk action that writes all of them or none.

    Raises ValidationError, with a message for people, when ``ids`` is empty, longer than
    ``BULK_LIMIT`` or holds something that is not a number; PermissionDenied when it names any
    row outside ``rows`` (another BRM's, or none at all). Which ones is not said, and a missing
    id is refused like another's, so guessing reveals nothing."""
    try:
        wanted = {int(pk) for pk in ids}
    except (TypeError, ValueError):
        raise ValidationError(f"Choose {noun} from the list.") from None
    if not wanted:
        raise ValidationError(f"Choose at least one of the {noun}.")
    if len(wanted) > BULK_LIMIT:
        raise ValidationError(f"Choose at most {BULK_LIMIT} {noun} at once.")
    found = list(rows.filter(pk__in=wanted).order_by("pk"))
    if len(found) != len(wanted):
        missing = len(wanted) - len(found)
        raise PermissionDenied(
            f"{missing} of the {len(wanted)} chosen {noun} "
            f"{'is' if missing == 1 else 'are'} not yours to change: nothing was changed."
        )
    return found


def follow_ups_writable_by(user: User) -> QuerySet[FollowUp]:
    """The follow-ups ``user`` may complete, reschedule or cancel: those of the clients they
    may change (their own book; every client for an admin). Bulk actions check each id here."""
    return FollowUp.objects.filter(client__in=clients_writable_by(user))


def interactions_visible_to(user: User) -> QuerySet[Interaction]:
    return records_visible_to(user, Interaction)


def interaction_for_user(user: User, pk, *, write: bool = False) -> Interaction:
    """An interaction ``user`` may read; changing or deleting it also needs them to have logged
    it, unless they are an admin."""
    interaction = record_for_user(user, Interaction, pk, write=write)
    if write and not may_edit_interaction(user, interaction):
        raise PermissionDenied("Only whoever logged an interaction (or an admin) can change it.")
    return interaction


def may_edit_interaction(user: User, interaction: Interaction) -> bool:
    """Whether ``user`` may change or delete ``interaction`` (one they may write the client of):
    whoever logged it, or an admin. Pure Python on loaded fields, no query, so a page can ask it
    of every row it shows."""
    return _signed_in(user) and (user.role == Role.ADMIN or interaction.logged_by_id == user.pk)


def contacts_visible_to(user: User) -> QuerySet[Contact]:
    return records_visible_to(user, Contact)


def contact_for_user(user: User, pk, *, write: bool = False) -> Contact:
    return record_for_user(user, Contact, pk, write=write)


def book_record_for_user(user: User, model, pk, *, write: bool = False):
    """Projects, shared goals, feedback items, support issues and deals (``client``), partner
    referrals and certifications (``partner``)."""
    client_field = "partner" if model in (PartnerReferral, PartnerCertification) else "client"
    return record_for_user(user, model, pk, write=write, client_field=client_field)


# --- Pages and actions ------------------------------------------------------------------------


def may_see_organisation(user: User) -> bool:
    """The organisation's scorecard and every team side by side: admins."""
    return _signed_in(user) and user.role == Role.ADMIN


def may_compare_teams(user: User) -> bool:
    """The team pages (teams and BRMs side by side, the records behind a team's totals, every
    BRM's survey results): managers and admins."""
    return _signed_in(user) and user.role in (Role.ADMIN, Role.MANAGER)


def may_set_targets(user: User) -> bool:
    return _signed_in(user) and user.role == Role.ADMIN


def may_keep_a_book(user: User) -> bool:
    """People who write books (the Today page, the quick log): BRMs and admins."""
    return _signed_in(user) and user.role in (Role.ADMIN, Role.BRM)


def may_choose_owner(user: User) -> bool:
    """Whether ``user`` picks whose book a new client goes into (an admin); anyone else who
    keeps a book adds clients to their own."""
    return _signed_in(user) and user.role == Role.ADMIN


def may_reassign_clients(user: User) -> bool:
    """Hand clients to another BRM (one by one or in bulk): managers, for the teams they
    manage, and admins."""
    return _signed_in(user) and user.role in (Role.ADMIN, Role.MANAGER)


def may_filter_by_owner(user: User) -> bool:
    """Whether lists offer an owner filter: managers and admins read several BRMs' books; a
    BRM reads only their own."""
    return _signed_in(user) and user.role in (Role.ADMIN, Role.MANAGER)


def book_scope(user: User) -> str:
    """Whose books ``user`` reads, for the wording of lists: ``"own"`` (a BRM: their book),
    ``"teams"`` (a manager: the teams they manage) or ``"all"`` (an admin: every book)."""
    if _signed_in(user) and user.role == Role.ADMIN:
        return "all"
    if _signed_in(user) and user.role == Role.MANAGER:
        return "teams"
    return "own"


def starts_on_today(user: User) -> bool:
    """BRMs start the day on Today; managers and admins on the book they oversee."""
    return _signed_in(user) and user.role == Role.BRM


def brms_visible_to(user: User) -> QuerySet[User]:
    """The active BRMs whose books ``user`` may read, by name: the owner filters, and whom a
    manager or admin may hand clients to."""
    return users_visible_to(user).filter(role=Role.BRM, is_active=True).order_by("full_name")


def may_import(user: User) -> bool:
    """Admins import anything; a BRM imports records of their own clients only (checked per
    row); managers review and export but do not import."""
    return _signed_in(user) and user.role in (Role.ADMIN, Role.BRM)


def require_importer(user: User | None) -> None:
    """Refuse (PermissionDenied) a user who may not import at all (``may_import``); ``None``,
    an operator at the command line, may."""
    if user is not None and not may_import(user):
        raise PermissionDenied("Only administrators and BRMs import records.")


def may_import_into_any_book(user: User | None) -> bool:
    """Whether an import by ``user`` may name any client and any owner, and use the formats
    marked ``admin_only``: an admin, or ``None`` (an operator at the command line)."""
    return user is None or (_signed_in(user) and user.role == Role.ADMIN)


def import_jobs_visible_to(user: User) -> QuerySet[ImportJob]:
    """The import jobs whose page and report ``user`` may see: their own; every job for an
    admin (reports name the rows of someone's book, which an admin may read anyway)."""
    if not _signed_in(user):
        return ImportJob.objects.none()
    if user.role == Role.ADMIN:
        return ImportJob.objects.all()
    return ImportJob.objects.filter(owner=user)


def import_batches_visible_to(user: User | None) -> QuerySet[ImportBatch]:
    """The imported files whose when, who and size an import by ``user`` may be told of (to
    warn that a file was imported before): a BRM's own imports only, so nothing is said about
    anyone else's book; every file for an admin or ``None`` (an operator at the command line),
    who import into any book."""
    if may_import_into_any_book(user):
        return ImportBatch.objects.all()
    if not may_import(user):
        return ImportBatch.objects.none()
    return ImportBatch.objects.filter(imported_by=user)


def import_job_for_user(user: User, pk: int) -> ImportJob:
    """One import job ``user`` may see, or Http404 (whose job it is stays unknown)."""
    job = import_jobs_visible_to(user).filter(pk=pk).first()
    if job is None:
        raise Http404("No such import.")
    return job


def may_confirm_import_job(user: User, job: ImportJob) -> bool:
    """Only the person who uploaded a file imports it after its dry run: the import runs with
    their rights, so an admin looking at someone's dry run does not start it for them."""
    return may_import(user) and job.owner_id == user.pk


def clients_visible_to_operator(user: User | None) -> QuerySet[Client]:
    """The clients an import or export by ``user`` reaches: those they may read, or every
    client for ``None`` (an operator at the command line)."""
    return Client.objects.all() if user is None else clients_visible_to(user)


def client_owners_for_new_client(user: User) -> QuerySet[User]:
    """Whose book ``user`` may put a new client in: any active BRM for an admin, themselves
    for a BRM (``may_keep_a_book``), nobody otherwise."""
    if not may_keep_a_book(user):
        return User.objects.none()
    if user.role == Role.ADMIN:
        return User.objects.filter(role=Role.BRM, is_active=True).order_by("full_name")
    return User.objects.filter(pk=user.pk)


def clients_owned_by(user: User) -> QuerySet[Client]:
    """A user's own book, whatever their role: what their captured e-mail is matched against
    (so mail never lands in someone else's book) and what their calendar feed shows."""
    if not _signed_in(user):
        return Client.objects.none()
    return Client.objects.filter(owner=user)


def follow_ups_owned_by(user: User) -> QuerySet[FollowUp]:
    """A user's own follow-ups (those they owe), whatever their role: what Today lists, what
    their calendar feed shows and whose unhappy answers Today asks them to close."""
    if not _signed_in(user):
        return FollowUp.objects.none()
    return FollowUp.objects.filter(owner=user)


def own_record_for_user(user: User, records: QuerySet, pk: int):
    """A row that belongs to ``user`` personally (``records`` has a ``user`` field: API tokens,
    calendar feeds, captured mail): only its user may see or change it, whatever their role.
    Http404 otherwise."""
    record = records.filter(user=user, pk=pk).first() if _signed_in(user) else None
    if record is None:
        raise Http404("No such record.")
    return record


def may_configure(user: User) -> bool:
    """The Django admin (pipeline stages, lost reasons, survey questions, people and teams):
    admins, the same people ``User.is_staff`` lets into it."""
    return _signed_in(user) and user.role == Role.ADMIN


def may_manage_webhooks(user: User) -> bool:
    """Webhooks send events about every book to outside addresses: admins only."""
    return _signed_in(user) and user.role == Role.ADMIN


# --- Acting in someone's name, and mail addressed to someone --------------------------------


def may_act_as(user: User, email: str) -> bool:
    """Whether ``user`` may record something as done or owned by the user with ``email``: an
    admin as anyone, everyone else only as themself (imports, like the pages, never let a BRM
    write in someone else's name)."""
    return user.role == Role.ADMIN or email.casefold() == user.email.casefold()


def mail_visible_to(user: User, mails: QuerySet, *, recipients_field: str = "to") -> QuerySet:
    """The stored e-mails of ``mails`` that ``user`` may read: an admin all of them, anyone
    else only those addressed to their own e-mail (``recipients_field`` holds one address per
    line). The dev mailbox holds password-reset links: another user's must stay unreadable."""
    if not user.is_authenticated or not user.is_active:
        return mails.none()
    if user.role == Role.ADMIN:
        return mails
    email = user.email
    return mails.filter(
        Q(**{f"{recipients_field}__iexact": email})
        | Q(**{f"{recipients_field}__istartswith": f"{email}\n"})
        | Q(**{f"{recipients_field}__iendswith": f"\n{email}"})
        | Q(**{f"{recipients_field}__icontains": f"\n{email}\n"})
    )


def mail_for_user(user: User, mails: QuerySet, pk: int):
    """One stored e-mail ``user`` may read, or Http404 (whose mail it is stays unknown)."""
    mail = mail_visible_to(user, mails).filter(pk=pk).first()
    if mail is None:
        raise Http404("No such e-mail.")
    return mail


# --- The list the access-matrix test is generated from ----------------------------------------


@dataclass(frozen=True)
class ObjectKind:
    """One kind of object a rule decides on. ``scoped``: the rule takes the queryset of records
    to limit (rows of any app that belong to a client) after the user."""

    name: str
    visible_to: Callable[..., QuerySet]
    for_user: Callable[..., Any]
    scoped: bool = False


OBJECT_KINDS = (
    ObjectKind("clients", clients_visible_to, client_for_user),
    ObjectKind("people", users_visible_to, person_for_user),
    ObjectKind("teams", teams_visible_to, team_for_user),
    ObjectKind("managed teams", managed_teams_visible_to, managed_team_for_user),
    ObjectKind("contacts", contacts_visible_to, contact_for_user),
    ObjectKind("interactions", interactions_visible_to, interaction_for_user),
    ObjectKind("follow-ups", follow_ups_visible_to, follow_up_for_user),
    ObjectKind("client records", records_visible_to, record_for_user, scoped=True),
    ObjectKind("import jobs", import_jobs_visible_to, import_job_for_user),
)

PERMISSIONS: dict[str, Callable[[User], bool]] = {
    "see the organisation": may_see_organisation,
    "compare teams": may_compare_teams,
    "set targets": may_set_targets,
    "keep a book": may_keep_a_book,
    "choose a new client's owner": may_choose_owner,
    "filter lists by owner": may_filter_by_owner,
    "reassign clients": may_reassign_clients,
    "start on Today": starts_on_today,
    "import": may_import,
    "import into any book": may_import_into_any_book,
    "manage webhooks": may_manage_webhooks,
    "configure": may_configure,
}
