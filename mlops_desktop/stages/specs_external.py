"""The ``external`` stage: a step of an imported cloud pipeline, shown but never run here.

Its parameters keep the step's definition (read-only in the inspector); ``kind`` places it
in the lifecycle and is the one parameter the user may correct.
"""

from __future__ import annotations

from mlops_desktop.core.cloud.convert import EXTERNAL_STAGE, IN_PORT, OUT_PORT
from mlops_desktop.core.cloud.placement import KINDS
from mlops_desktop.core.ports import PortType as T
from mlops_desktop.core.specs import PortSpec, StageSpec
from mlops_desktop.stages._spec_helpers import p_choice, p_str, p_text

SPECS = [
    StageSpec(
        id=EXTERNAL_STAGE,
        title="External step",
        category="Imported",
        kind="external",
        kind_param="kind",
        icon="cloud",
        description="A step of a pipeline imported from Azure ML, Vertex AI / Kubeflow or "
        "SageMaker. It runs in its cloud, not here; it shows the step's definition and where it "
        "falls in each vendor's lifecycle.",
        impl="mlops_desktop.stages.external:run_external",
        inputs=(
            PortSpec(IN_PORT, T.ANY, optional=True, many=True, help="Steps this one waits for."),
        ),
        outputs=(PortSpec(OUT_PORT, T.ANY, help="Steps that wait for this one."),),
        params=(
            p_choice(
                "kind",
                "other",
                KINDS,
                label="Lifecycle kind",
                help="Where this step falls in the lifecycle. Correct it when the rule chose "
                "wrongly; the correction is kept when the file is imported again.",
            ),
            p_str(
                "placement_reason",
                help="Why the rules chose the kind.",
                read_only=True,
                label="Placed because",
            ),
            p_str(
                "kind_rule",
                help="The kind the rules chose.",
                read_only=True,
                label="Kind by the rules",
            ),
            p_str("vendor", help="The cloud the pipeline runs in.", read_only=True),
            p_str("step_type", help="The step's type in its definition.", read_only=True),
            p_str("step_key", help="The step's path in the definition.", read_only=True),
            p_str("component", help="The component or display name.", read_only=True),
            p_str("image", help="The container image.", read_only=True),
            p_text("command", help="The command the step runs in its cloud.", read_only=True),
            p_text("inputs", help="The step's inputs and their bindings.", read_only=True),
            p_text("depends_on", help="Steps it waits for (data or control).", read_only=True),
            p_str("group", help="The nested DAG the step belongs to.", read_only=True),
            p_str("branch", help="The condition branch the step runs in.", read_only=True),
            p_text("settings", help="Caching, retries, compute.", read_only=True),
            p_str("location", help="Where the step is defined in the file.", read_only=True),
        ),
    )
]
