"""The domain a project serves, loaded once: its registry and its schema."""

from __future__ import annotations

from dataclasses import dataclass

from workbench.config import Project
from workbench.core.registry import Registry, discover


@dataclass
class Domain:
    project: Project
    registry: Registry
    schema_sql: str

    @classmethod
    def load(cls, project: Project) -> "Domain":
        project.make_importable()
        registry = discover(project.features, project.contracts)
        return cls(project, registry, project.schema_path.read_text(encoding="utf-8"))

    @property
    def messages(self) -> dict[str, type]:
        return self.registry.messages
