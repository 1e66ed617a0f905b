"""Exports of an agenda (API.md §5): its sessions as an RFC 5545 calendar (``ical``) and as the
c3voc "frab" schedule conference apps read (``frab`` -> ``frab_json``, ``frab_xml``).

Pure functions of the full agenda's body, the JSON-ready dict the full read answers with
(services/full_agenda.py, or the public snapshot's stored copy of it): no storage, no HTTP, only
the standard library. Rendering from that body, rather than from records, keeps one definition
of what the public sees (the snapshot holds nothing only members see), lets an anonymous export
be served from the snapshot without a DynamoDB request, and makes each export a function of the
full read's version, which its ETag is derived from (services/exports.py). A body renders to the
same bytes every time: no clock, no randomness.
"""
