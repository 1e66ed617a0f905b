"""The exports' probes (API.md §5; docs/design.md "Exports"): each export is the full read in
another format, so it costs what the full read costs. Anonymous: the public snapshot, one S3
GetObject and no DynamoDB request, filtered or gzip-coded alike; a member: one Query; a
revalidation (`If-None-Match` with the export's own ETag): one GetItem."""

from __future__ import annotations

from bench.probes import Probe

EXPORTS = ("calendar.ics", "schedule.json", "schedule.xml")


def export_probes(agenda: str, auth: dict[str, str], session_ids: tuple[str, ...] = ()) -> list[Probe]:
    """`agenda`: the published agenda's path; `session_ids`: some of its sessions, for a personal
    calendar (none: the filter names an id the agenda does not have, which costs the same)."""
    chosen = ",".join(session_ids[:5]) or "ses_01JQ0000000000000000000000"
    found: list[Probe] = []
    for export in EXPORTS:
        path = f"{agenda}/{export}"
        label = f"GET /v1/agendas/{{id}}/{export}"
        found.append(
            Probe(
                f"{label} (anonymous: the snapshot)",
                "snapshot",
                "GET",
                path,
                200,
                keep_etag=export,
                s3=("GetObject",),
            )
        )
        if export == "calendar.ics":
            found += [
                Probe(
                    f"{label}?session_ids= (anonymous)",
                    "snapshot",
                    "GET",
                    f"{path}?session_ids={chosen}",
                    200,
                    s3=("GetObject",),
                ),
                Probe(
                    f"{label} (anonymous, gzip)",
                    "snapshot",
                    "GET",
                    path,
                    200,
                    headers={"Accept-Encoding": "gzip"},
                    s3=("GetObject",),
                ),
            ]
        found += [
            Probe(f"{label} + If-None-Match", "read", "GET", path, 304, send_etag=export),
            Probe(f"{label} (owner)", "read", "GET", path, 200, headers=auth),
        ]
    return found
