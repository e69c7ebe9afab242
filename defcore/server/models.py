"""The store's tables: accounts, vendors and products, results, verifications, cached verdicts.

The schema is created and changed only by the Alembic migrations in `migrations/`; a test checks
that the migrations and these models agree on every database defcore supports.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

PRODUCT_KINDS = ("distribution", "public-cloud", "appliance")
VENDOR_ROLES = ("admin", "member")
# RefStack's vendor types less "foundation": registered private, asked to become official
# (pending), approved by a foundation admin (official); a denial returns it to private.
VENDOR_STATUSES = ("private", "pending", "official")
VENDOR_EVENT_KINDS = ("registered", "requested", "cancelled", "approved", "denied")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    foundation_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # A maintainer's -1 on a proposal blocks it until resolved; foundation admins grant it.
    maintainer: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    memberships: Mapped[list[VendorMember]] = relationship(back_populates="user")


class ApiToken(Base):
    """An API token; only its SHA-256 is stored, so a leaked database leaks no token."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    user: Mapped[User] = relationship()


class PublicKey(Base):
    """A public key an account signs uploads with (RSA or Ed25519).

    A key belongs to one account only (the unique fingerprint): a signed upload names its owner.
    """

    __tablename__ = "public_keys"
    __table_args__ = (
        UniqueConstraint("user_id", "fingerprint"),
        Index("ux_public_keys_fingerprint", "fingerprint", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    algorithm: Mapped[str] = mapped_column(String(20))
    fingerprint: Mapped[str] = mapped_column(String(64))
    openssh: Mapped[str] = mapped_column(Text)
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Vendor(Base):
    __tablename__ = "vendors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # "private" | "pending" | "official"; mirrors the newest decision in vendor_events
    status: Mapped[str] = mapped_column(String(20), default="private", server_default="private")
    # a foundation admin's reason for the newest approval or denial
    status_reason: Mapped[str] = mapped_column(Text, default="", server_default="")

    members: Mapped[list[VendorMember]] = relationship(back_populates="vendor")
    products: Mapped[list[Product]] = relationship(back_populates="vendor")


class VendorMember(Base):
    __tablename__ = "vendor_members"
    __table_args__ = (UniqueConstraint("vendor_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20), default="member")

    vendor: Mapped[Vendor] = relationship(back_populates="members")
    user: Mapped[User] = relationship(back_populates="memberships")


class VendorEvent(Base):
    """One step of a vendor's registration: registered, asked, approved, denied; the record."""

    __tablename__ = "vendor_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    actor: Mapped[User] = relationship()


class Invitation(Base):
    """A vendor admin's invitation of an account, by name, to join the vendor.

    The invited account is not a member until it accepts. The invitation names the account
    rather than pointing at it, so that inviting tells the inviter nothing about which
    accounts exist.
    """

    __tablename__ = "invitations"
    __table_args__ = (UniqueConstraint("vendor_id", "user_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id", ondelete="CASCADE"))
    user_name: Mapped[str] = mapped_column(String(200), index=True)
    role: Mapped[str] = mapped_column(String(20), default="member")
    invited_by: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    vendor: Mapped[Vendor] = relationship()


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("vendor_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text, default="")
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    vendor: Mapped[Vendor] = relationship(back_populates="products")
    versions: Mapped[list[ProductVersion]] = relationship(
        back_populates="product", order_by="ProductVersion.id"
    )


class ProductVersion(Base):
    __tablename__ = "product_versions"
    __table_args__ = (UniqueConstraint("product_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    version: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # The cloud's id as refstack-client reports it; unique within a vendor (checked by
    # defcore.server.products), so that an upload with it finds one version of the uploader's.
    cpid: Mapped[str] = mapped_column(String(200), default="", server_default="", index=True)

    product: Mapped[Product] = relationship(back_populates="versions")


class Result(Base):
    """One uploaded test run. Private to its uploader and vendor until made public.

    A result without an uploader came anonymously through RefStack's API (unsigned, no
    token): nobody owns it, it is never listed publicly, and it is read by its id alone.
    """

    __tablename__ = "results"
    __table_args__ = (
        UniqueConstraint("uploader_id", "body_sha256"),
        # lists are newest first, ties by id (migration 0008): pages read from the index
        Index("ix_results_public_created_id", "public", "created_at", "id"),
        Index("ix_results_uploader_created_id", "uploader_id", "created_at", "id"),
        Index("ix_results_vendor_created_id", "vendor_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    uploader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    vendor_id: Mapped[int | None] = mapped_column(ForeignKey("vendors.id"))
    product_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("product_versions.id"), index=True
    )
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    body_sha256: Mapped[str] = mapped_column(String(64))
    body_format: Mapped[str] = mapped_column(String(20))
    cpid: Mapped[str] = mapped_column(String(200), default="")
    duration_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    test_count: Mapped[int] = mapped_column(Integer, default=0)
    passed_count: Mapped[int] = mapped_column(Integer, default=0)
    signed_key_id: Mapped[int | None] = mapped_column(
        ForeignKey("public_keys.id", ondelete="SET NULL"), nullable=True
    )
    signature: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)

    uploader: Mapped[User | None] = relationship()
    vendor: Mapped[Vendor | None] = relationship()
    product_version: Mapped[ProductVersion | None] = relationship()
    verifications: Mapped[list[Verification]] = relationship(back_populates="result")


# The order of every result list: newest first, ties by id, as the (…, created_at, id) indexes
# above have it, so that a page is read from an index.
RESULTS_NEWEST_FIRST = (Result.created_at.desc(), Result.id.desc())


class ResultCount(Base):
    """How many results are public (`name` "public"): the public result list's total, kept by
    triggers on results (migration 0009) in the transaction of every change, instead of a
    scan of the results on every view of the list."""

    __tablename__ = "result_counts"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    total: Mapped[int] = mapped_column(Integer)


class ResultMeta(Base):
    """RefStack's per-result metadata an owner sets: the `guideline` and `target` it claims.

    RefStack's third key, `shared`, is the result's `public` flag, and its `user` key is the
    uploader: neither is stored here.
    """

    __tablename__ = "result_meta"

    result_id: Mapped[str] = mapped_column(
        ForeignKey("results.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class ResultTests(Base):
    """A result's test outcomes, apart from the result's row so that listings stay small."""

    __tablename__ = "result_tests"

    result_id: Mapped[str] = mapped_column(
        ForeignKey("results.id", ondelete="CASCADE"), primary_key=True
    )
    # [{"name", "outcome", "uuid", "reason"}]: what RunResults needs to be rebuilt exactly.
    tests_json: Mapped[str] = mapped_column(Text)
    class_failures_json: Mapped[str] = mapped_column(Text, default="{}")


class Verification(Base):
    """A foundation admin's mark: this result earns this guideline's target."""

    __tablename__ = "verifications"
    __table_args__ = (UniqueConstraint("result_id", "guideline_id", "target"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    result_id: Mapped[str] = mapped_column(ForeignKey("results.id", ondelete="CASCADE"))
    guideline_id: Mapped[str] = mapped_column(String(100))
    target: Mapped[str] = mapped_column(String(200))
    verified_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # The product version the result was associated with when verified: the certification is
    # this version's, and the result is locked to it (defcore.server.certification).
    product_version_id: Mapped[int] = mapped_column(ForeignKey("product_versions.id"), index=True)
    # A foundation admin may withdraw a verification, with a reason; the row stays.
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    withdrawn_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    withdraw_reason: Mapped[str] = mapped_column(Text, default="", server_default="")

    result: Mapped[Result] = relationship(back_populates="verifications")
    product_version: Mapped[ProductVersion] = relationship()

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None


class VerdictCache(Base):
    """compute_verdict's answer for a result, a guideline and a target, computed once."""

    __tablename__ = "verdict_cache"

    result_id: Mapped[str] = mapped_column(
        ForeignKey("results.id", ondelete="CASCADE"), primary_key=True
    )
    guideline_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    target: Mapped[str] = mapped_column(String(200), primary_key=True)
    passed: Mapped[bool] = mapped_column(Boolean)
    verdict_json: Mapped[str] = mapped_column(Text)
    computed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


PROPOSAL_STATES = ("open", "accepted", "withdrawn")
EVENT_KINDS = ("created", "vote", "resolve", "state")


class Proposal(Base):
    """A proposed change of one capability's status or criteria in a named guideline.

    `state` mirrors the newest "state" event of the proposal's audit trail (kept here so that
    listings can filter on it); the trail in `proposal_events` is the record.
    """

    __tablename__ = "proposals"
    __table_args__ = (Index("ix_proposals_state_created", "state", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guideline_id: Mapped[str] = mapped_column(String(100), index=True)
    capability: Mapped[str] = mapped_column(String(200))
    # {"status": "required"} or {"criteria": {"deployed": true}}
    change_json: Mapped[str] = mapped_column(Text)
    # The capability as the guideline has it when proposed: {"status", "achievements"}
    current_json: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(String(200))
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    quorum: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default="open")
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    author: Mapped[User] = relationship()


class ProposalEvent(Base):
    """One entry of a proposal's audit trail: append-only.

    Triggers made by the migration refuse UPDATE and DELETE on both databases; `seq` numbers a
    proposal's events 1, 2, ... (unique, so two concurrent appends cannot both take the same
    place), and `digest` chains each event to the one before it (SHA-256 over the previous
    digest and the event's content), so that a trail edited behind the server's back shows.
    """

    __tablename__ = "proposal_events"
    __table_args__ = (UniqueConstraint("proposal_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # the actor's maintainer role when the event was recorded
    maintainer: Mapped[bool] = mapped_column(Boolean)
    vote: Mapped[int | None] = mapped_column(Integer, nullable=True)  # +1 or -1
    ref_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the vote resolved
    state_from: Mapped[str | None] = mapped_column(String(20), nullable=True)
    state_to: Mapped[str | None] = mapped_column(String(20), nullable=True)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    digest: Mapped[str] = mapped_column(String(64))

    actor: Mapped[User] = relationship()


class AuditEvent(Base):
    """One entry of the keyed trail of every state-changing row (defcore.server.trail).

    `row_json` is the row as stored after the change (null when deleted); `mac` is an
    HMAC-SHA256, with a key kept outside the database, over the previous entry's MAC and this
    entry's content, so that no entry can be edited, inserted or removed without the key.
    """

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_subject", "subject", "subject_key"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    actor_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    action: Mapped[str] = mapped_column(String(20))  # insert, update, delete, adopt
    subject: Mapped[str] = mapped_column(String(64))  # the table
    subject_key: Mapped[str] = mapped_column(String(200))  # its primary key
    row_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    mac: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The trail's newest entry, sealed with the key: deleting the last entries shows."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    mac: Mapped[str] = mapped_column(String(64))
    head_mac: Mapped[str] = mapped_column(String(64))


class WebSession(Base):
    """A signed-in browser: the login cookie holds a random session id, of which only the
    SHA-256 is stored (like API tokens); it expires, and signing out deletes it. The CSRF
    token every form of the session must send back is kept beside it."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)
