"""Settings (frozen, typed, one default per field) and the loader (TOML file + MAILBOT_* environment)."""

from mailbot.config.loader import DEFAULT_DATABASE_URL, build_config, load_config
from mailbot.config.settings import Config

__all__ = ["DEFAULT_DATABASE_URL", "Config", "build_config", "load_config"]
