"""Who may read and write which client: the one place these rules live.

A BRM reads and writes their own book. A manager reads everything of the teams they manage and
may reassign those clients. An admin reads and writes everything. A client outside what a user
may read does not exist for them (404), so guessing ids reveals nothing.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import Role, User
from accounts.selectors import users_visible_to
from crm.models import (
    Client,
    Contact,
    FollowUp,
    Interaction,
    PartnerCertification,
    PartnerReferral,
)


def clients_visible_to(user: User) -> QuerySet[Client]:
    if not user.is_authenticated or not user.is_active:
        return Client.objects.none()
    if user.role == Role.ADMIN:
        return Client.objects.all()
    return Client.objects.filter(owner__in=users_visible_to(user))


def clients_writable_by(user: User) -> QuerySet[Client]:
    """The clients ``user`` may change: all for an admin, their own book otherwise."""
    if not user.is_authenticated or not user.is_active:
        return Client.objects.none()
    if user.role == Role.ADMIN:
        return Client.objects.all()
    return Client.objects.filter(owner=user)


def can_write_client(user: User, client: Client) -> bool:
    return user.role == Role.ADMIN or client.owner_id == user.pk


def can_reassign_client(user: User, client: Client) -> bool:
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


def may_import(user: User) -> bool:
    """Admins import anything; a BRM imports records of their own clients only (checked per
    row); managers review and export but do not import."""
    return user.is_active and user.role in (Role.ADMIN, Role.BRM)


# --- Records in a client's book -----------------------------------------------------------------
# A record (follow-up, interaction, contact, goal, ...) is visible exactly when its client is;
# changing it needs write access to the client. One helper serves every family so the rule is
# written once; the named functions below are the vocabulary views use.


def records_visible_to(user: User, model, *, client_field: str = "client") -> QuerySet:
    """``model``'s rows whose client (``client_field``) ``user`` may read."""
    return model._default_manager.filter(**{f"{client_field}__in": clients_visible_to(user)})


def record_for_user(user: User, model, pk, *, write: bool = False, client_field: str = "client"):
    """The ``model`` row ``pk`` with its client loaded, if ``user`` may read it (and change it,
    with ``write=True``). Raises Http404 when the user may not read it (or ``pk`` is not a
    number) and PermissionDenied when they may read but not change it."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404("No such record.") from None
    record = (
        records_visible_to(user, model, client_field=client_field)
        .select_related(f"{client_field}__owner")
        .filter(pk=pk)
        .first()
    )
    if record is None:
        raise Http404("No such record.")
    if write and not can_write_client(user, getattr(record, client_field)):
        raise PermissionDenied("You can read this record but not change it.")
    return record


def follow_ups_visible_to(user: User) -> QuerySet[FollowUp]:
    return records_visible_to(user, FollowUp)


def follow_up_for_user(user: User, pk, *, write: bool = False) -> FollowUp:
    return record_for_user(user, FollowUp, pk, write=write)


def interactions_visible_to(user: User) -> QuerySet[Interaction]:
    return records_visible_to(user, Interaction)


def interaction_for_user(user: User, pk, *, write: bool = False) -> Interaction:
    """An interaction ``user`` may read; changing or deleting it also needs them to have logged
    it, unless they are an admin."""
    interaction = record_for_user(user, Interaction, pk, write=write)
    if write and user.role != Role.ADMIN and interaction.logged_by_id != user.pk:
        raise PermissionDenied("Only whoever logged an interaction (or an admin) can change it.")
    return interaction


def contacts_visible_to(user: User) -> QuerySet[Contact]:
    return records_visible_to(user, Contact)


def contact_for_user(user: User, pk, *, write: bool = False) -> Contact:
    return record_for_user(user, Contact, pk, write=write)


def book_record_for_user(user: User, model, pk, *, write: bool = False):
    """Projects, shared goals, feedback items, support issues and deals (``client``), partner
    referrals and certifications (``partner``)."""
    client_field = "partner" if model in (PartnerReferral, PartnerCertification) else "client"
    return record_for_user(user, model, pk, write=write, client_field=client_field)


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
