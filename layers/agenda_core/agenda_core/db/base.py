"""The single table as pynamodb sees it.

Every item is a ``TableItem``; the ``type`` discriminator lets one Query over an agenda's
partition come back as the right record classes (agenda, members, content) in one request.
"""

from __future__ import annotations

import os

from pynamodb.attributes import DiscriminatorAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from agenda_core.aws_session import share_with_pynamodb
from agenda_core.settings import get_settings

share_with_pynamodb()


class TableMeta:
    """Connection settings shared by the records (RELIABILITY.md "AWS SDK")."""

    _settings = get_settings()
    table_name = _settings.table_name
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    # pynamodb counts retries, botocore counts attempts (STYLE.md 5.11): 2 retries = 3 attempts.
    max_retry_attempts = _settings.aws_total_max_attempts - 1
    connect_timeout_seconds = _settings.aws_connect_timeout_seconds
    read_timeout_seconds = _settings.aws_read_timeout_seconds
    # host stays unset: botocore reads AWS_ENDPOINT_URL(_DYNAMODB) for local emulators.


class Gsi1(GlobalSecondaryIndex["TableItem"]):
    """The one overloaded index: published agendas by start date, a user's memberships."""

    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class TableItem(Model):
    class Meta(TableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    type = DiscriminatorAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    # Epoch seconds; DynamoDB's TTL deletes late (and moto never), so readers check it themselves.
    ttl = NumberAttribute(null=True)

    gsi1 = Gsi1()


def get_or_none[T: TableItem](
    record_class: type[T], pk: str, sk: str, *, consistent: bool = False
) -> T | None:
    """One GetItem; ``None`` when the item is absent (or is another kind of item)."""
    try:
        item = record_class.get(pk, sk, consistent_read=consistent)
    except record_class.DoesNotExist:
        return None
    return item if isinstance(item, record_class) else None
