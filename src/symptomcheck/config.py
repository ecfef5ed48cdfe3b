"""The service's settings: one object, read from `SYMPTOMCHECK_*` environment variables at start-up.

Every setting has a default that works on a single machine with no set-up (SQLite in the user's data
directory, the shipped model); production changes them through the environment.
"""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_data_dir
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from symptomcheck.model import SHIPPED_MODEL


def default_database_url() -> str:
    return f"sqlite:///{Path(user_data_dir('symptomcheck', appauthor=False)) / 'symptomcheck.db'}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SYMPTOMCHECK_", frozen=True, extra="ignore")

    database_url: str = Field(default_factory=default_database_url, description="sqlite:///PATH or postgresql://...")
    model_path: Path = Field(default=SHIPPED_MODEL, description="the model artifact (.npz)")
    retention_days: float = Field(default=30.0, gt=0, description="consultations unchanged this long are erased")
    purge_interval_seconds: float = Field(default=3600.0, gt=0)
    api_keys: SecretStr = Field(
        default=SecretStr(""), description="comma-separated keys that may list and export consultations"
    )
    rate_limit_per_minute: float = Field(default=120.0, ge=0, description="per client; 0 turns the limit off")
    rate_limit_burst: int = Field(default=30, ge=1)
    trust_forwarded_for: bool = Field(default=False, description="identify clients by X-Forwarded-For (behind a proxy)")
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    log_level: str = Field(default="INFO")
    pool_size: int = Field(default=10, ge=1)
    rest_threads: int = Field(
        default=4,
        ge=1,
        description="per process: API and page requests computed at once (the rest wait their turn); the WeChat "
        "webhook has threads of its own, so a saturated API never delays its replies",
    )
    wechat_threads: int = Field(default=8, ge=1, description="per process: WeChat messages computed at once")
    wechat_token: SecretStr | None = None
    wechat_app_id: str | None = None
    wechat_aes_key: SecretStr | None = None
    wechat_openid_secret: SecretStr | None = Field(
        default=None,
        description="the secret the OpenID hash key is derived from (at least 32 characters); without it the key is "
        "derived from the Token, as before, with a warning at start-up",
    )

    @field_validator("wechat_openid_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("wechat_openid_secret must be at least 32 characters (e.g. `openssl rand -hex 32`)")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("log_level must be DEBUG, INFO, WARNING or ERROR")
        return level

    @property
    def api_key_set(self) -> frozenset[str]:
        return frozenset(k.strip() for k in self.api_keys.get_secret_value().split(",") if k.strip())
