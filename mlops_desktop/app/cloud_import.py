"""Import of cloud pipeline definitions (Azure ML, Kubeflow/Vertex AI, SageMaker) into a project.

File access lives here: size limits, the safe YAML loader (plain YAML only; tags such as
``!!python/object`` are refused), component files referenced by an Azure ML job (relative
paths to ``.yml`` files only). Parsing is :mod:`mlops_desktop.core.cloud`; the result is a
native pipeline of external stages (:mod:`mlops_desktop.core.cloud.convert`). Importing the
same file again saves a new version of the pipeline it made, keeping the user's placement
corrections. "Make a local copy" turns an imported pipeline into a new, editable pipeline of
built-in stages that records its origin. Nothing in a definition is executed.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_desktop.core.cloud import detect, parse
from mlops_desktop.core.cloud.convert import EXTERNAL_STAGE, to_pipeline
from mlops_desktop.core.cloud.local_copy import LocalCopy, make_local_copy
from mlops_desktop.core.cloud.model import MAX_FILE_BYTES, CloudFormatError, ExternalPipeline
from mlops_desktop.core.entities import PipelineInfo, PipelineVersion
from mlops_desktop.core.errors import ConflictError, NotFoundError
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.core.registry import StageRegistry, default_registry
from mlops_desktop.core.serialization import from_dict, to_dict

if TYPE_CHECKING:
    from mlops_desktop.app.workspace import Workspace

MAX_COMPONENT_FILES = 256
YAML_SUFFIXES = (".yml", ".yaml")


@dataclass(frozen=True, slots=True)
class CloudImport:
    """What an import did: the pipeline, the version saved and whether it was new."""

    info: PipelineInfo
    version: PipelineVersion
    created: bool
    changed: bool
    external: ExternalPipeline
    pipeline: Pipeline

    def summary(self) -> str:
        ext = self.external
        if not self.created and not self.changed:
            return (
                f"pipeline '{self.info.name}' is unchanged since its version "
                f"{self.version.version}: nothing new to import"
            )
        what = "imported" if self.created else f"re-imported as version {self.version.version} of"
        return (
            f"{what} pipeline '{self.info.name}' ({ext.format}: {len(ext.steps)} steps, "
            f"{len(ext.gates)} condition(s), {len(ext.groups)} group(s))"
        )


def read_bytes(path: Path, where: str = "") -> bytes:
    """The file's bytes, refused over :data:`MAX_FILE_BYTES` before being read."""
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise CloudFormatError(where, "not a regular file", str(path))
        if size > MAX_FILE_BYTES:
            raise CloudFormatError(
                where,
                f"the file is {size / 1048576:.1f} MiB; definitions over "
                f"{MAX_FILE_BYTES // 1048576} MiB are refused",
                str(path),
            )
        return path.read_bytes()[: MAX_FILE_BYTES + 1]
    except FileNotFoundError:
        raise CloudFormatError(where, "no such file", str(path)) from None
    except OSError as exc:
        raise CloudFormatError(where, f"cannot read it: {exc.strerror}", str(path)) from None


def load_document(data: bytes, source: str, yaml_ok: bool = True) -> Any:
    """JSON, or plain YAML through the safe loader; errors name the line."""
    try:
        raw = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CloudFormatError(f"byte {exc.start}", "the file is not UTF-8 text", source) from None
    stripped = raw.lstrip()
    try:
        if stripped.startswith(("{", "[")) or not yaml_ok:
            try:
                return json.loads(raw)
            except json.JSONDecodeError as exc:
                if not yaml_ok:
                    raise CloudFormatError(
                        f"line {exc.lineno}, column {exc.colno}", f"invalid JSON: {exc.msg}", source
                    ) from None
        import yaml

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        try:
            return yaml.load(raw, Loader=loader)  # noqa: S506 - a safe loader: plain YAML only
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            problem = str(getattr(exc, "problem", "") or exc)
            if "constructor for the tag" in problem or "tag" in problem and "!!" in raw:
                problem = (
                    f"{problem.strip()}; YAML tags that build objects are refused "
                    "(only plain YAML is read)"
                )
            raise CloudFormatError(where, f"invalid YAML: {problem.strip()}", source) from None
    except RecursionError:
        raise CloudFormatError("", "the document is nested too deeply", source) from None


class _ComponentFiles:
    """The loader the Azure ML reader calls for ``component: ./x.yml`` references."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, ref: str, base: str) -> tuple[Any, str, str]:
        self.count += 1
        if self.count > MAX_COMPONENT_FILES:
            raise ValueError(f"more than {MAX_COMPONENT_FILES} component files")
        rel = Path(ref)
        if rel.is_absolute() or ref.startswith("~"):
            raise ValueError("only paths relative to the pipeline file are read")
        if rel.suffix.lower() not in YAML_SUFFIXES:
            raise ValueError("a component file must be a .yml or .yaml file")
        path = Path(base) / rel
        if not path.exists():
            raise FileNotFoundError(ref)
        source = str(path)
        return load_document(read_bytes(path), source), str(path.parent), source


def read_definition(path: str | os.PathLike[str]) -> tuple[ExternalPipeline, str]:
    """The external pipeline in ``path`` and the SHA-256 of the file's bytes."""
    p = Path(path)
    data = read_bytes(p)
    doc = load_document(data, str(p), yaml_ok=p.suffix.lower() != ".json")
    ext = parse(doc, str(p), _ComponentFiles(), str(p.parent))
    return ext, hashlib.sha256(data).hexdigest()


def is_cloud_definition(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` holds a cloud definition (else it may be a native pipeline file).

    A YAML file is always taken as a cloud definition (native files are JSON), so its
    problems are reported by the cloud reader.
    """
    p = Path(path)
    if p.suffix.lower() in YAML_SUFFIXES:
        return True
    try:
        with p.open("rb") as fh:
            head = fh.read(4096)
        big = p.stat().st_size > MAX_FILE_BYTES
    except OSError:
        return False  # the native reader reports a missing or unreadable file
    if b"mlops-desktop/pipeline" in head:
        return False
    if big:
        read_bytes(p)  # refuses with the size limit: no native file starts without its format
    try:
        doc = load_document(read_bytes(p), str(p), yaml_ok=False)
    except CloudFormatError:
        return False
    return detect(doc) is not None


class CloudImportService:
    def __init__(self, workspace: Workspace, registry: StageRegistry | None = None) -> None:
        self.ws = workspace
        self.registry = registry if registry is not None else default_registry()

    def import_file(
        self, project: str | int, path: str | os.PathLike[str], name: str | None = None
    ) -> CloudImport:
        """Add the definition as a pipeline, or a new version of the pipeline it made before."""
        ext, digest = read_definition(path)
        source = Path(path).name
        chosen = (name or ext.name or Path(path).stem).strip()
        from mlops_desktop.app.projects import ProjectService

        proj = ProjectService(self.ws, self.registry).get_project(project)
        in_repo = self._repo_path(proj.id, path)
        existing = {p.name: p for p in self.ws.pipelines.list(proj.id)}
        if chosen in existing:
            info = existing[chosen]
            latest = self.ws.pipelines.latest(info.id)
            facts = latest.document.get("meta", {}).get("external")
            if not isinstance(facts, dict) or facts.get("source") != source:
                raise ConflictError(
                    f"project '{proj.name}' already has a pipeline named '{chosen}' that was "
                    "not imported from this file (choose another name)"
                )
            previous = from_dict(dict(latest.document), self.registry)
            pipeline = to_pipeline(ext, self.registry, chosen, source, digest, previous)
            _note_repo_path(pipeline, in_repo)
            version = self.ws.pipelines.save(
                info.id, _document(pipeline, chosen), f"re-imported from {source}"
            )
            return CloudImport(
                self.ws.pipelines.get_by_id(info.id),
                version,
                False,
                version.id != latest.id,
                ext,
                pipeline,
            )
        pipeline = to_pipeline(ext, self.registry, chosen, source, digest)
        _note_repo_path(pipeline, in_repo)
        info = self.ws.pipelines.create(proj.id, chosen, _document(pipeline, chosen))
        return CloudImport(info, self.ws.pipelines.latest(info.id), True, True, ext, pipeline)

    def _repo_path(self, project_id: int, path: str | os.PathLike[str]) -> str:
        """The file's path inside the project's attached repository ("" when outside it)."""
        from mlops_desktop.app.assessment import AssessmentService

        repo = AssessmentService(self.ws, self.registry).repo(project_id)
        if not repo:
            return ""
        try:
            return Path(path).resolve().relative_to(Path(repo).resolve()).as_posix()
        except (ValueError, OSError):
            return ""

    def place_of(self, pipeline_id: int) -> tuple[str, str]:
        """(project name, pipeline name) of a stored pipeline (what an open tab knows)."""
        info = self.ws.pipelines.get_by_id(pipeline_id)
        return self.ws.projects.get(info.project_id).name, info.name

    def make_local_copy(
        self,
        project: str | int,
        pipeline: str,
        name: str | None = None,
        data: str | os.PathLike[str] | None = None,
        target: str | None = None,
    ) -> tuple[PipelineInfo, LocalCopy]:
        """A new editable pipeline of built-in stages for the imported ``pipeline`` (its
        latest version), recording where it came from; the imported pipeline is unchanged.
        ``data`` (a CSV or Parquet file) and ``target`` (its column to predict) are what its
        Load data stages read (default: a sample bundled with scikit-learn)."""
        from mlops_desktop.app.projects import ProjectService
        from mlops_desktop.core.validation import errors

        service = ProjectService(self.ws, self.registry)
        proj = service.get_project(project)
        info, source = service.load_pipeline(proj.id, pipeline)
        if not isinstance(source.meta.get("external"), dict) or not any(
            n.type == EXTERNAL_STAGE for n in source.nodes.values()
        ):
            raise ConflictError(
                f"pipeline '{info.name}' was not imported from a cloud definition: it is "
                "already a local pipeline"
            )
        taken = {p.name for p in self.ws.pipelines.list(proj.id)}
        chosen = (name or "").strip() or local_copy_name(info.name, taken)
        if chosen in taken:
            raise ConflictError(
                f"project '{proj.name}' already has a pipeline named '{chosen}' "
                "(choose another name)"
            )
        version = self.ws.pipelines.latest(info.id)
        origin = {"pipeline": info.name, "pipeline_id": info.id, "version": version.version}
        load: dict[str, Any] = {}
        if data is not None:
            if not Path(data).is_file():
                raise NotFoundError(f"no data file {data}: nothing was made")
            load = {"source": "file", "path": str(Path(data).resolve())}
        if target:
            load["target"] = target
        copy = make_local_copy(source, self.registry, chosen, origin, load)
        problems = errors(copy.pipeline)
        if problems:  # a mapping bug must not leave a pipeline that cannot run
            raise ConflictError(f"the local copy would not run: {problems[0].message}")
        created = self.ws.pipelines.create(proj.id, chosen, _document(copy.pipeline, chosen))
        return created, copy


def _note_repo_path(pipeline: Pipeline, repo_path: str) -> None:
    """Record in the definition's facts where the file sits in the attached repository, so
    the assessment can tie the definition to that repository's scan."""
    if repo_path:
        from mlops_desktop.core.operations import SetMeta

        facts = dict(pipeline.meta["external"])
        facts["repo_path"] = repo_path
        pipeline.apply(SetMeta("external", facts))


def _document(pipeline: Pipeline, name: str) -> dict[str, Any]:
    doc = to_dict(pipeline)
    doc["name"] = name
    return doc


def local_copy_name(source: str, taken: set[str]) -> str:
    """``<source> (local copy)``, numbered when that name is taken."""
    base = f"{source} (local copy)"
    if base not in taken:
        return base
    i = 2
    while f"{source} (local copy {i})" in taken:
        i += 1
    return f"{source} (local copy {i})"
