"""The API's request and response bodies (and so the OpenAPI document's schemas)."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

MAX_DB_INT = 2_147_483_647
# Control characters a multi-line text may hold; any other one (NUL, ESC, ...) is refused.
_TEXT_CONTROLS = frozenset("\t\n\r")


def _text(value: str) -> str:
    """Valid Unicode that every database and page can hold: no lone surrogates (they cannot be
    encoded as UTF-8, so storing or showing them fails), no NUL or other control characters."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (no lone surrogates)") from None
    if any(c not in _TEXT_CONTROLS and unicodedata.category(c) == "Cc" for c in value):
        raise ValueError("must not contain NUL or other control characters")
    return value


def _name(value: str) -> str:
    """A name on one line: no control characters at all, no surrounding spaces or newline."""
    _text(value)
    if any(unicodedata.category(c) == "Cc" for c in value):
        raise ValueError("must be one line (no newline, tab or other control characters)")
    if value != value.strip():
        raise ValueError("must not start or end with spaces or a newline")
    return value


def _not_bool(value: Any) -> Any:
    # pydantic takes True for the literal 1, even in strict mode
    if isinstance(value, bool):
        raise ValueError("must be a number, not a boolean")
    return value


def _utc(value: datetime) -> datetime:
    # The store keeps naive UTC; the API says so (RFC 3339 needs the offset).
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


UtcDatetime = Annotated[datetime, AfterValidator(_utc)]
Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_name)]
Text = Annotated[str, Field(max_length=10_000), AfterValidator(_text)]
DbId = Annotated[int, Field(ge=1, le=MAX_DB_INT)]
ProductKind = Literal["distribution", "public-cloud", "appliance"]
Role = Literal["admin", "member"]


class Strict(BaseModel):
    """A request body: unknown fields refused, and no coercion ("yes" is not a boolean, "5"
    not a number)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class ErrorOut(BaseModel):
    """An error, in RefStack's shape: the status, its phrase and what went wrong."""

    code: int
    title: str
    detail: str


class HealthOut(BaseModel):
    status: str
    database: str


class UploadOut(BaseModel):
    id: str
    created: bool
    url: str


class VerificationOut(BaseModel):
    guideline: str
    target: str
    verified_at: UtcDatetime
    # the product version it certifies, and its withdrawal if a foundation admin withdrew it
    product_version_id: int | None = None
    withdrawn_at: UtcDatetime | None = None
    withdraw_reason: str = ""


class ResultOut(BaseModel):
    id: str
    public: bool
    format: str
    cpid: str
    duration_seconds: float | None
    test_count: int
    passed_count: int
    created_at: UtcDatetime
    uploader: str | None  # None: an anonymous upload
    vendor_id: int | None
    product_version_id: int | None
    signed: bool
    verifications: list[VerificationOut]


class ResultList(BaseModel):
    results: list[ResultOut]
    total: int


class ResultPatch(Strict):
    public: bool | None = None
    product_version_id: DbId | None = None


class VerifyIn(Strict):
    guideline: Name
    target: Name


class UserIn(Strict):
    name: Name
    foundation_admin: bool = False


class UserCreated(BaseModel):
    id: int
    name: str
    token: str


class Membership(BaseModel):
    vendor_id: int
    vendor: str
    role: str


class MeOut(BaseModel):
    id: int
    name: str
    foundation_admin: bool
    vendors: list[Membership]
    maintainer: bool = False
    # the text to sign with a private key to register its public key (POST /v1/me/keys)
    key_proof: str = ""


KeyText = Annotated[str, Field(min_length=1, max_length=20_000), AfterValidator(_text)]
SignatureText = Annotated[str, Field(min_length=1, max_length=4_000), AfterValidator(_text)]


class KeyIn(Strict):
    public_key: KeyText
    # the key's signature (hex or base64) of MeOut.key_proof: proof of the private key
    self_signature: SignatureText
    label: Annotated[str, Field(max_length=200), AfterValidator(_name)] = ""


class RefstackKeyIn(Strict):
    """RefStack's POST /v1/profile/pubkeys body."""

    raw_key: KeyText
    # hex RSA-SHA256 signature of the string "signature" (`refstack-client self-sign`)
    self_signature: SignatureText


class RefstackKeyOut(BaseModel):
    id: str
    format: str
    pubkey: str
    comment: str


class KeyOut(BaseModel):
    id: int
    algorithm: str
    fingerprint: str
    label: str


class VendorIn(Strict):
    name: Name


class VendorOut(BaseModel):
    id: int
    name: str
    status: str = "official"  # private | pending | official
    # the foundation admin's reason for the newest decision (only to the vendor's members)
    status_reason: str = ""


class DenyIn(Strict):
    reason: Annotated[str, Field(min_length=1, max_length=10_000), AfterValidator(_text)]


class ApproveIn(Strict):
    reason: Text = ""


class VendorEventOut(BaseModel):
    kind: str
    actor: str
    reason: str
    at: UtcDatetime


class InvitationIn(Strict):
    user: Name  # the account's name
    role: Role = "member"


class InvitationOut(BaseModel):
    id: int
    vendor_id: int
    vendor: str
    user: str
    role: str
    created_at: UtcDatetime


class RoleIn(Strict):
    role: Role


class MemberOut(BaseModel):
    user_id: int
    user: str
    role: str


VersionName = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_name)]
Cpid = Annotated[str, Field(max_length=200), AfterValidator(_name)]


class VersionIn(Strict):
    version: VersionName
    cpid: Cpid = ""


class VersionPatch(Strict):
    version: VersionName | None = None
    cpid: Cpid | None = None


class VersionOut(BaseModel):
    id: int
    version: str
    cpid: str = ""


class ProductIn(Strict):
    name: Name
    kind: ProductKind
    description: Text = ""
    public: bool = False


class ProductPatch(Strict):
    name: Name | None = None
    kind: ProductKind | None = None
    description: Text | None = None
    public: bool | None = None


class ProductOut(BaseModel):
    id: int
    vendor_id: int
    vendor: str
    name: str
    kind: str
    description: str
    public: bool
    versions: list[VersionOut]


class VerdictOut(BaseModel):
    """compute_verdict's answer (`Verdict.as_dict()`), as stored in the verdict cache."""

    model_config = ConfigDict(extra="allow")

    guideline: str
    target: str
    target_kind: str
    passed: bool
    required_tests: int
    required_tests_passed: int
    components: list[dict[str, Any]]


class TokenIn(Strict):
    label: Annotated[str, Field(max_length=200), AfterValidator(_name)] = ""


class TokenOut(BaseModel):
    id: int
    label: str
    created_at: UtcDatetime
    current: bool = False  # the token this request was made with


class TokenCreated(TokenOut):
    token: str  # shown once; only its SHA-256 is stored


# -- feedback: proposals and votes ----------------------------------------------------------

Comment = Annotated[str, Field(max_length=10_000), AfterValidator(_text)]
NeededComment = Annotated[str, Field(min_length=1, max_length=10_000), AfterValidator(_text)]
StatusName = Literal["required", "advisory", "deprecated", "removed", "informational"]


class UserPatch(Strict):
    maintainer: bool


class UserOut(BaseModel):
    id: int
    name: str
    foundation_admin: bool
    maintainer: bool


class ProposalIn(Strict):
    guideline: Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_name)]
    capability: Name
    status: StatusName | None = None
    criteria: dict[Annotated[str, Field(max_length=100), AfterValidator(_name)], bool] | None = None
    title: Name
    comment: Comment = ""
    public: bool = True


class VoteIn(Strict):
    vote: Annotated[Literal[1, -1], BeforeValidator(_not_bool)]
    comment: Comment = ""


class ResolveIn(Strict):
    vote_seq: DbId
    comment: NeededComment


class StateIn(Strict):
    comment: Comment = ""


class EventOut(BaseModel):
    seq: int
    kind: str
    actor: str
    maintainer: bool
    vote: int | None
    ref_seq: int | None
    state_from: str | None
    state_to: str | None
    comment: str
    at: UtcDatetime
    digest: str


class VoteOut(BaseModel):
    voter: str
    vote: int
    maintainer: bool
    comment: str
    seq: int
    at: UtcDatetime
    blocking: bool
    resolved_by: str | None
    resolution: str | None


class ProposalOut(BaseModel):
    id: int
    guideline: str
    capability: str
    change: dict[str, Any]
    current: dict[str, Any]
    title: str
    public: bool
    author: str
    created_at: UtcDatetime
    state: str
    quorum: int
    plus: int
    minus: int
    ready: bool
    reasons: list[str]
    votes: list[VoteOut]
    trail_intact: bool
    events: list[EventOut]


class ProposalSummary(BaseModel):
    id: int
    guideline: str
    capability: str
    change: dict[str, Any]
    title: str
    author: str
    created_at: UtcDatetime
    state: str
    quorum: int
    plus: int
    minus: int
    blocking: int
    ready: bool


# -- Widely Deployed from verified results --------------------------------------------------


class DeployedProductOut(BaseModel):
    product: str
    product_id: int | None
    result_id: str | None
    targets: list[str]


class DeployedCapabilityOut(BaseModel):
    name: str
    status: str | None
    components: list[str]
    passing: int
    judged: int
    share: float | None
    achieved: bool | None
    committee: bool
    agrees: bool | None
    passing_products: list[str]
    failing_products: list[str]


class DeployedOut(BaseModel):
    guideline: str
    threshold: float
    min_products: int
    products: list[DeployedProductOut]
    capabilities: list[DeployedCapabilityOut]


class WithdrawIn(Strict):
    guideline: Name
    target: Name
    reason: Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(_text)]


class CertificationOut(BaseModel):
    version_id: int
    version: str
    guideline: str
    target: str
    # the trademark program: the platform's name, or "OpenStack Powered <add-on>"
    program: str
    result_id: str
    verified_at: UtcDatetime
    # current, expiring, expired (defcore.server.lifecycle) or withdrawn
    status: str
    guideline_approved_on: date | None
    current_until: date | None
    expires_on: date | None
    superseded_by: str | None
    withdrawn_at: UtcDatetime | None
    withdraw_reason: str


class CertificationsOut(BaseModel):
    product_id: int
    product: str
    vendor: str
    on: date
    # the best status among the certifications, or "none"
    standing: str
    certifications: list[CertificationOut]
