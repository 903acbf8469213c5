from datetime import date

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Role(models.TextChoices):
    BRM = "brm", "Business relationship manager"
    MANAGER = "manager", "Manager"
    ADMIN = "admin", "Administrator"


def normalise_email(address: str) -> str:
    """The form of an e-mail address that identifies one person: trimmed and lower-cased.

    ``Bea@Example.com `` and ``bea@example.com`` are one mailbox to every real mail provider, so
    log-in lockouts count them as one login and surveys suppress and throttle them as one person
    (``crm.models.email_key`` is the same rule in SQL)."""
    return address.strip().lower()


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **fields):
        fields["role"] = Role.ADMIN
        return self.create_user(email, password, **fields)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractBaseUser):
    """A person who signs in: a BRM, a manager or an administrator. E-mail is the login."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.BRM)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name", "email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER

    @property
    def is_brm(self) -> bool:
        return self.role == Role.BRM

    # The Django admin site is for administrators, who may do everything in it.
    @property
    def is_staff(self) -> bool:
        return self.is_active and self.is_admin

    @property
    def is_superuser(self) -> bool:
        return self.is_staff

    def has_perm(self, perm, obj=None) -> bool:
        return self.is_staff

    def has_perms(self, perm_list, obj=None) -> bool:
        return self.is_staff

    def has_module_perms(self, app_label) -> bool:
        return self.is_staff


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TeamMembershipQuerySet(models.QuerySet):
    def on(self, day: date) -> "TeamMembershipQuerySet":
        """Memberships in force on ``day`` (started on or before it, not yet ended)."""
        return self.filter(Q(ended_on__isnull=True) | Q(ended_on__gt=day), started_on__lte=day)

    def current(self) -> "TeamMembershipQuerySet":
        return self.on(timezone.localdate())


class TeamMembership(models.Model):
    """Who was in a team, in which capacity, and when.

    Kept as dated history because a team scorecard of a past period is computed over the team as
    it was then. ``ended_on`` is exclusive: the member left at the start of that day.
    """

    class Capacity(models.TextChoices):
        MEMBER = "member", "Member"
        MANAGER = "manager", "Manager"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="team_memberships")
    capacity = models.CharField(max_length=16, choices=Capacity.choices, default=Capacity.MEMBER)
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)

    objects = TeamMembershipQuerySet.as_manager()

    class Meta:
        ordering = ["team", "-started_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gt=models.F("started_on")),
                name="membership_ends_after_it_starts",
            ),
            models.UniqueConstraint(
                fields=["team", "user", "capacity"],
                condition=Q(ended_on__isnull=True),
                name="one_open_membership_per_capacity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.get_capacity_display()})"
