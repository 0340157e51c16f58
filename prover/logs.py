"""Structured logs: one shape for every line of a service (structlog over stdlib `logging`).

`configure_logging` routes structlog events *and* stdlib records (uvicorn, httpx, …) through the
same processors (structlog's `ProcessorFormatter` on one root handler): an ISO-8601 UTC
`timestamp`, `level`, `logger`, the snake_case `event` and its key-value fields; `json` writes
one JSON object per line, `console` one aligned text line. Settings: `ZKCREDITS_LOG_FORMAT`
(`console` | `json`) and `ZKCREDITS_LOG_LEVEL` (`debug` … `critical`).

Privacy (PROTOCOL §13): exception messages of the client side (`zkcredits.client.*` loggers, or
every logger with `private=True`) are withheld — a traceback keeps its frames and exception
types only, since messages may name notes. Tracebacks never show local variables (structlog's
default rich formatter would), and httpx/httpcore never log below WARNING (their INFO lines carry
request URLs, e.g. `/state/{nullifier}`). Before `configure_logging` runs, events still go to
stdlib `logging` (by default: WARNING and above, one plain line on stderr).
"""

from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType
from typing import Any, Literal, TextIO, cast, get_args

import structlog
from pydantic import ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from structlog.typing import EventDict, Processor, WrappedLogger

from prover.errors import LogConfigError

LogFormat = Literal["console", "json"]
LogLevel = Literal["debug", "info", "warning", "error", "critical"]

ENV_PREFIX = "ZKCREDITS_LOG_"
PRIVATE_PREFIX = "zkcredits.client"
QUIET_LOGGERS = ("httpx", "httpcore")
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")
_HANDLER_NAME = "zkcredits-structured"
_JS_SAFE_INT = 1 << 53
_HEAD = ("timestamp", "level", "logger", "event")


class LogSettings(BaseSettings):
    """`ZKCREDITS_LOG_FORMAT` and `ZKCREDITS_LOG_LEVEL` (case-insensitive values)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="ignore", frozen=True, use_attribute_docstrings=True
    )

    format: LogFormat = "console"
    """`console` (aligned text) or `json` (one object per line)."""
    level: LogLevel = "info"
    """Lowest level logged."""

    @field_validator("format", "level", mode="before")
    @classmethod
    def _lowercase(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value


_CHOICES = {"format": get_args(LogFormat), "level": get_args(LogLevel)}


def log_settings(fmt: str | None = None, level: str | None = None) -> LogSettings:
    """Explicit values win over the environment; a bad value names its variable (or argument)."""
    given: dict[str, Any] = {k: v for k, v in (("format", fmt), ("level", level)) if v is not None}
    try:
        return LogSettings(**given)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0])
        where = f"log {field} argument" if field in given else f"{ENV_PREFIX}{field.upper()}"
        choices = ", ".join(_CHOICES.get(field, ()))
        raise LogConfigError(
            f"{where}: {error.get('input')!r} is not one of {choices}", field=field
        ) from None


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A structlog logger over the stdlib logger `name` (use `zkcredits.<area>` names)."""
    wrapped = structlog.wrap_logger(
        logging.getLogger(name), wrapper_class=structlog.stdlib.BoundLogger
    )
    return cast(structlog.stdlib.BoundLogger, wrapped)


def configure_logging(
    fmt: str | None = None,
    level: str | None = None,
    *,
    private: bool = False,
    stream: TextIO | None = None,
) -> LogSettings:
    """Configure structlog and the root stdlib logger; returns the settings in force.

    `fmt`/`level` default to the environment; `private=True` (the client's process) withholds
    exception messages of every logger; `stream` defaults to stderr. Calling it again replaces
    the handler it installed before."""
    settings = log_settings(fmt, level)
    numeric = logging.getLevelNamesMapping()[settings.level.upper()]
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, _foreign_fields],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            ExceptionRedactor(everything=private),
            *_renderer(settings.format, sys.stderr if stream is None else stream),
        ],
        pass_foreign_args=True,
    )
    handler = _StderrHandler() if stream is None else logging.StreamHandler(stream)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(numeric, logging.WARNING))
    for name in UVICORN_LOGGERS:  # undo a `dictConfig` of uvicorn's own (handlers, no propagation)
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.setLevel(logging.NOTSET)
    return settings


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to `sys.stderr` as it is at each record (CLI test runners swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def _renderer(fmt: LogFormat, out: TextIO) -> list[Processor]:
    if fmt == "json":
        return [
            structlog.processors.format_exc_info,
            _json_fields,
            structlog.processors.JSONRenderer(),
        ]
    colors = bool(getattr(out, "isatty", lambda: False)())
    return [
        structlog.dev.ConsoleRenderer(
            colors=colors, exception_formatter=structlog.dev.plain_traceback
        )
    ]


def _json_fields(_logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
    """`timestamp, level, logger, event` first; integers above 2**53 (nullifiers, note IDs) as
    strings, which most log pipelines would otherwise round."""
    head = {k: event_dict.pop(k) for k in _HEAD if k in event_dict}
    for key, value in event_dict.items():
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= _JS_SAFE_INT:
            event_dict[key] = str(value)
    return {**head, **event_dict}


def _foreign_fields(_logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
    """A stdlib record's args: uvicorn's access line becomes an `http_request` event with fields;
    other records keep their formatted message as the event."""
    args = event_dict.pop("positional_args", ())
    if event_dict.get("logger") == "uvicorn.access" and isinstance(args, tuple) and len(args) == 5:
        client, method, path, http_version, status = args
        event_dict.update(
            event="http_request",
            client=client,
            method=method,
            path=path,
            http_version=http_version,
            status=status,
        )
    return event_dict


class ExceptionRedactor:
    """Replace `exc_info` by a traceback without exception messages, for private loggers."""

    def __init__(self, *, everything: bool = False) -> None:
        self.everything = everything

    def __call__(self, _logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
        name = str(event_dict.get("logger", ""))
        if not (self.everything or name == PRIVATE_PREFIX or name.startswith(PRIVATE_PREFIX + ".")):
            return event_dict
        exc = _exception_of(event_dict.pop("exc_info", None))
        if exc is not None:
            event_dict["exception"] = traceback_without_messages(exc)
        return event_dict


def _exception_of(exc_info: Any) -> BaseException | None:
    if exc_info is True:
        exc_info = sys.exc_info()
    if isinstance(exc_info, BaseException):
        return exc_info
    if isinstance(exc_info, tuple) and len(exc_info) == 3:
        return cast(BaseException | None, exc_info[1])
    return None


def traceback_without_messages(exc: BaseException) -> str:
    """Frames and exception types of `exc` and its causes/contexts; every message withheld."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        if current.__cause__ is not None or current.__suppress_context__:
            current = current.__cause__
        else:
            current = current.__context__
    lines: list[str] = []
    for i, item in enumerate(reversed(chain)):
        tb: TracebackType | None = item.__traceback__
        if i:
            lines.append("\nThe above exception led to the following one:\n\n")
        lines.append("Traceback (most recent call last):\n")
        lines.extend(traceback.format_list(traceback.extract_tb(tb)))
        kind = type(item)
        lines.append(f"{kind.__module__}.{kind.__qualname__}: (message withheld)\n")
    return "".join(lines).rstrip("\n")


def _fallback_processors() -> list[Processor]:
    """Before `configure_logging`: stdlib levels decide, one plain line per event."""
    return [
        structlog.stdlib.filter_by_level,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.StackInfoRenderer(),
        ExceptionRedactor(),
        structlog.dev.ConsoleRenderer(
            colors=False, exception_formatter=structlog.dev.plain_traceback
        ),
    ]


if not structlog.is_configured():
    structlog.configure(
        processors=_fallback_processors(),
        wrapper_class=structlog.stdlib.BoundLogger,
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=False,
    )
