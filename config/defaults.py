"""Default settings. Every name here can be overridden by an environment variable
with the FORUM_ prefix (FORUM_DATABASE_URL, FORUM_SECRET_KEY, ...); values that
parse as JSON (numbers, true/false) are read as such."""

# "development" or "production"; production refuses weak secrets and sets secure cookies.
ENV = "development"

# Empty means an SQLite file in the instance folder.
DATABASE_URL = ""
# SQLite: how long a writer waits for another to finish before giving up ("database is
# locked"); the worker then tries again later.
SQLITE_BUSY_SECONDS = 5.0
# Empty means a key generated once and kept in instance/secret_key.
SECRET_KEY = ""

SITE_NAME = "WSIS Forum"
# Domain used for posting addresses and Message-IDs.
MAIL_DOMAIN = "forum.example.org"
MAIL_DEFAULT_SENDER = "WSIS Forum <forum@forum.example.org>"
# Empty means no SMTP server: mail is written to instance/maildir and its links printed.
MAIL_SERVER = ""
MAIL_PORT = 25
MAIL_USE_TLS = False
MAIL_USE_SSL = False
MAIL_USERNAME = ""
MAIL_PASSWORD = ""
# Flask-Mail would otherwise keep mail back while testing; the outbox decides instead.
MAIL_SUPPRESS_SEND = False

# Served over HTTPS: cookies are marked Secure. Production implies it unless set.
HTTPS = False
# How many reverse proxies stand in front and set X-Forwarded-For/-Proto/-Host.
PROXIES = 0

BOARDS_FILE = "boards.toml"
# `whoosh` or `postgres`; empty means postgres on PostgreSQL, whoosh otherwise.
SEARCH_BACKEND = ""
# Where the search index lives; empty means instance/search-index.
SEARCH_INDEX_PATH = ""
SEARCH_QUERY_MAX_LENGTH = 500
# Whoosh: index a request's changes in the web process once its response has gone out,
# rather than leaving them to the worker's next round (a few seconds later). It cost a
# reply three times its own CPU time; the tests turn it on to search right after posting.
SEARCH_INDEX_AFTER_REQUEST = False

# Pages for anonymous readers kept in memory (0 seconds turns it off); see forum/pagecache.py.
PAGE_CACHE_SECONDS = 60
PAGE_CACHE_ENTRIES = 2000
# Posts as they read for everyone, kept for the thread pages of signed-in readers too
# (forum/posts/fragments.py): how many in each process, and how long in Redis.
FRAGMENT_CACHE_ENTRIES = 10000
FRAGMENT_CACHE_SECONDS = 86400

# Responses compressed on the fly (Flask-Compress): Brotli where the client offers it, else
# gzip. Static files are compressed once instead (forum/assets.py).
COMPRESS_ALGORITHM = ["br", "gzip"]
COMPRESS_ALGORITHM_STREAMING = ["br", "gzip"]
COMPRESS_BR_LEVEL = 5
COMPRESS_LEVEL = 6
COMPRESS_MIN_SIZE = 500
COMPRESS_MIMETYPES = [
    "text/html",
    "text/css",
    "text/plain",
    "application/json",
    "application/atom+xml",
    "application/rss+xml",
    "application/xml",
    "application/mbox",
    "image/svg+xml",
]
THREADS_PER_PAGE = 30
POSTS_PER_PAGE = 30
TITLE_MAX_LENGTH = 200
BODY_MAX_LENGTH = 50_000
# The largest request taken, in bytes (larger ones get a 413 page), and the largest form
# read into memory: a post of BODY_MAX_LENGTH characters takes up to 12 bytes a
# character once form-encoded (600 KB).
MAX_CONTENT_LENGTH = 1024 * 1024
MAX_FORM_MEMORY_SIZE = 1024 * 1024
PASSWORD_MIN_LENGTH = 10
EMAIL_TOKEN_MAX_AGE = 3 * 24 * 3600
RESET_TOKEN_MAX_AGE = 2 * 3600

# Moderation: in "new members" mode, the first posts of each person on a board and every
# post by an account younger than this many days wait for approval.
MODERATION_FIRST_POSTS = 2
MODERATION_NEW_ACCOUNT_DAYS = 7
# Distinct people whose flags hide a post until a coordinator reviews it.
FLAGS_TO_HIDE = 3

# How long a sign-in lasts at most (days), kept on this device ("remember me") or not.
SIGN_IN_DAYS = 30

# Redis shared by every server (redis://host:6379/0): the page cache and the rate-limit
# counters live there. Empty: each process keeps its own (one server).
REDIS_URL = ""

# Where rate-limit counters live (a `limits` storage URI): "memory://" means REDIS_URL's
# Redis when it is set, else this process's memory.
RATELIMIT_STORAGE_URI = "memory://"
RATELIMIT_STORAGE_OPTIONS: dict[str, object] = {}
RATELIMIT_STRATEGY = "fixed-window"

# Rate limits, in the notation of the `limits` library. Sign-ins count failures only: per
# account and address, per address, and (only after many, from many addresses) per account.
LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS = "5 per 10 minutes"
LOGIN_LIMIT_PER_ADDRESS = "20 per 10 minutes"
LOGIN_LIMIT_PER_ACCOUNT = "100 per hour"
RESET_LIMIT_PER_ADDRESS = "5 per 10 minutes"
REGISTER_LIMIT_PER_ADDRESS = "10 per hour"
# Posting (flood control): per account, stricter in an account's first week, and per address.
THREAD_LIMIT = "20 per hour"
REPLY_LIMIT = "60 per hour"
NEW_ACCOUNT_THREAD_LIMIT = "3 per day"
NEW_ACCOUNT_REPLY_LIMIT = "10 per day"
POST_LIMIT_PER_ADDRESS = "120 per hour"
FLAG_LIMIT = "20 per hour"

BABEL_DEFAULT_LOCALE = "en"
BABEL_DEFAULT_TIMEZONE = "UTC"
# The six official languages of the UN, in the UN's order, each named in itself.
LANGUAGES = {
    "ar": "العربية",
    "zh_Hans": "中文",
    "en": "English",
    "fr": "Français",
    "ru": "Русский",
    "es": "Español",
}
# Development and tests: also offer the pseudo-locale en_XA, every message accented and
# bracketed ("[Ŝîĝñ îñ]"), so that text left out of the catalogues shows in plain letters
# (forum/pseudo.py). Never for readers.
PSEUDO_LOCALE = False
# How long the language chosen with the switcher is remembered (a cookie), in days.
LANGUAGE_COOKIE_DAYS = 365

# The address the forum is reached at: every link in mail is built on it. In production,
# requests naming another host are refused, except for the host names in EXTRA_HOSTS
# (such as ["www.forum.example.org"]).
BASE_URL = "http://127.0.0.1:5000"
EXTRA_HOSTS: list[str] = []
# Delivery: messages per batch, attempts before a temporary failure counts as final,
# and the first retry's delay (doubling each time, up to MAIL_RETRY_MAX_SECONDS).
MAIL_BATCH_SIZE = 100
MAIL_MAX_ATTEMPTS = 12
MAIL_RETRY_SECONDS = 60
MAIL_RETRY_MAX_SECONDS = 6 * 3600
# A message claimed by a worker that died is offered again after this many seconds.
MAIL_CLAIM_SECONDS = 900
# How often (seconds) the worker looks for work when it found none.
WORKER_IDLE_SECONDS = 2.0
# The admin area warns when mail has been due this long and no worker is alive.
WORKER_STALL_SECONDS = 180

# Mail in: the LMTP listener, the largest message taken, and the authserv-id of the
# forum's own MTA, whose Authentication-Results header alone is trusted (DMARC).
LMTP_HOST = "127.0.0.1"
LMTP_PORT = 8024
MAIL_MAX_SIZE = 10 * 1024 * 1024
MAIL_AUTHSERV_ID = "forum.example.org"
# A signed message counts as its sender's post only when it names the board in To or Cc
# and was written within this many days (else its sender is asked to confirm it).
MAIL_AUTHENTICATED_MAX_AGE_DAYS = 7
# Verify DKIM signatures here too (DNS look-ups) when the MTA's results do not vouch for
# the sender of mail to a board's address.
MAIL_DKIM_VERIFY = True
# Mail to a board whose sender could not be authenticated waits this many days for the
# sender's confirmation; at most this many of one person's messages wait at a time.
MAIL_CONFIRM_DAYS = 7
MAIL_CONFIRM_MAX_WAITING = 5
# A message that fails to be read this many times is refused for good (not retried).
MAIL_READ_ATTEMPTS = 3
# Answers to received mail (refusals, command results, notes): at most this many to one
# address a day, whatever they say.
MAIL_ANSWERS_PER_DAY = 10
# Mail to postmaster@ and abuse@ is forwarded to these addresses (a list, as JSON in
# FORUM_MAIL_POSTMASTER_ADDRESSES); empty means the admins' own addresses.
MAIL_POSTMASTER_ADDRESSES: list[str] = []
# Where `flask mail recipient-map` answers the MTA's recipient look-ups (Postfix
# tcp_table), so that unknown addresses are refused during the SMTP conversation.
RECIPIENT_MAP_HOST = "127.0.0.1"
RECIPIENT_MAP_PORT = 8025
# This many hard bounces within the window pause a person's mail until they confirm.
BOUNCE_THRESHOLD = 3
BOUNCE_WINDOW_DAYS = 14
