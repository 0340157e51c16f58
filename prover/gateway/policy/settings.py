"""Where the provider's policy rules come from: a JSON file (`PolicyConfig`), named by
`ZKCREDITS_POLICY_FILE` (pydantic-settings, env prefix `ZKCREDITS_POLICY_`); unset = the default
rule set. The file's `policy_hash()` is what the registration file publishes."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from prover.gateway.policy.errors import PolicyConfigError
from prover.gateway.policy.rules import PolicyConfig, build_rules, default_policy_config


class PolicySettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ZKCREDITS_POLICY_", extra="forbid", frozen=True, use_attribute_docstrings=True
    )

    file: Path | None = None
    """The provider's policy rules (JSON); unset: the default rule set. Its hash is published in the
    registration file."""

    def load(self) -> PolicyConfig:
        return default_policy_config() if self.file is None else load_policy_file(self.file)


def load_policy_file(path: Path) -> PolicyConfig:
    """A rule set from its JSON file, checked (every pattern compiles, ids unique)."""
    try:
        config = PolicyConfig.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise PolicyConfigError(
            f"cannot read policy file {path}: {exc.strerror}", field="file"
        ) from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(root)"
        raise PolicyConfigError(
            f"policy file {path}: {where}: {first['msg']}", field=where
        ) from exc
    build_rules(config)
    return config
