"""The full agenda as pydantic response models, as a FastAPI or Powertools user would declare it.

Typed the way such a user types it (dates as ``date``, instants as ``datetime``, optional fields
``None`` by default), so the peers pay what a pydantic response model really costs: parsing every
field of every object on the way out, then serialising it again. Shared by the FastAPI peer and
the naive Powertools peer; ours builds the same JSON without pydantic on this path.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel


class LinkPublic(BaseModel):
    title: str
    url: str


class SessionPublic(BaseModel):
    id: str
    url: str
    title: str
    description: str | None = None
    start_at: datetime
    end_at: datetime
    kind: str
    plenary: bool = False
    status: str
    track_id: str | None = None
    venue_id: str | None = None
    speaker_ids: list[str] | None = None
    category_ids: list[str] | None = None
    language: str | None = None
    created_at: datetime
    updated_at: datetime


class SpeakerPublic(BaseModel):
    id: str
    url: str
    name: str
    bio: str | None = None
    organization: str | None = None
    job_title: str | None = None
    photo: str | None = None
    links: list[LinkPublic] | None = None
    created_at: datetime
    updated_at: datetime


class TrackPublic(BaseModel):
    id: str
    url: str
    name: str
    description: str | None = None
    position: int | None = None
    color: str | None = None
    created_at: datetime
    updated_at: datetime


class VenuePublic(BaseModel):
    id: str
    url: str
    name: str
    description: str | None = None
    position: int | None = None
    capacity: int | None = None
    created_at: datetime
    updated_at: datetime


class CategoryPublic(BaseModel):
    id: str
    url: str
    name: str
    description: str | None = None
    position: int | None = None
    color: str | None = None
    created_at: datetime
    updated_at: datetime


class AgendaFull(BaseModel):
    id: str
    url: str
    slug: str
    name: str
    description: str | None = None
    location: str | None = None
    published: bool
    icon: str | None = None
    start_at: date
    end_at: date
    duration: int
    timezone: str
    version: int
    created_at: datetime
    updated_at: datetime
    sessions: list[SessionPublic]
    speakers: list[SpeakerPublic]
    tracks: list[TrackPublic]
    venues: list[VenuePublic]
    categories: list[CategoryPublic]
