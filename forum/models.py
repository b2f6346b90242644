"""Imports every model module, so that the metadata (and Alembic) sees all tables."""

from forum.accounts.models import User, UserSession
from forum.boards.models import Board, BoardRole, Section
from forum.consultations.models import Consultation, ConsultationListing
from forum.inbound.models import Bounce, InboundMessage
from forum.mail.models import (
    MailSettings,
    OutboxMessage,
    Publication,
    Subscription,
    ThreadWatch,
)
from forum.meetings.models import Attendance, CalendarToken, Meeting
from forum.moderation.models import BoardTrust, Flag, LogEntry
from forum.notices.models import Notice
from forum.posts.models import Post, PostRevision, Thread
from forum.reads.models import BoardRead, ThreadRead
from forum.reports.models import Report, ReportRevision
from forum.search.models import IndexQueueItem
from forum.site.models import SitePage, SitePageEdit, SiteSetting
from forum.stocktaking.models import Entry, EntryBoard, EntryCountry, EntryRevision
from forum.worker.models import WorkerHeartbeat

__all__ = [
    "Attendance",
    "Board",
    "BoardRead",
    "BoardRole",
    "BoardTrust",
    "Bounce",
    "CalendarToken",
    "Consultation",
    "ConsultationListing",
    "Entry",
    "EntryBoard",
    "EntryCountry",
    "EntryRevision",
    "Flag",
    "InboundMessage",
    "IndexQueueItem",
    "LogEntry",
    "MailSettings",
    "Meeting",
    "Notice",
    "OutboxMessage",
    "Post",
    "PostRevision",
    "Publication",
    "Report",
    "ReportRevision",
    "Section",
    "SitePage",
    "SitePageEdit",
    "SiteSetting",
    "Subscription",
    "Thread",
    "ThreadRead",
    "ThreadWatch",
    "User",
    "UserSession",
    "WorkerHeartbeat",
]
