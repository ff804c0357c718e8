"""Specs of the operate stages: register, package, test, approve, deploy, serve, experiment,
monitor, and the traffic simulator that feeds them."""

from __future__ import annotations

from mlops_desktop.core.ports import PortType as T
from mlops_desktop.core.specs import StageSpec
from mlops_desktop.stages._spec_helpers import (
    inp,
    out,
    p_bool,
    p_choice,
    p_float,
    p_int,
    p_path,
    p_str,
)

ENVIRONMENTS = ("dev", "staging", "production")

SPECS = [
    StageSpec(
        id="register_model",
        title="Register model",
        category="Operate",
        side_effects=True,
        kind="register",
        icon="register",
        description="Register the model as a new version in the project's model registry, "
        "linked to the run, pipeline version, datasets, parameters and metrics that made it.",
        impl="mlops_desktop.stages.operate:register_model",
        inputs=(inp("model", T.MODEL), inp("metrics", T.METRICS, optional=True)),
        outputs=(out("model_version", T.MODEL_VERSION),),
        params=(
            p_str("model_name", "model", help="Name of the registered model."),
            p_choice(
                "alias",
                "candidate",
                ("candidate", "staging", "production", "none"),
                help="Alias the new version gets.",
            ),
        ),
    ),
    StageSpec(
        id="registered_model",
        title="Registered model",
        category="Operate",
        side_effects=True,
        kind="model_source",
        icon="register",
        phases={
            "aws": "aws.stage.deployment",
            "google": "gcp.stage.model_deployment",
            "azure": "azure.stage.deploy",
            "tdsp": "azure.tdsp.deployment",
        },
        description="Take a version from the project's model registry: the latest approved "
        "one, the one holding an alias, a given version, or the latest. The start of a "
        "deployment pipeline that a registry event triggers.",
        impl="mlops_desktop.stages.operate:registered_model",
        outputs=(out("model_version", T.MODEL_VERSION),),
        params=(
            p_str("model_name", "model", help="Name of the registered model."),
            p_choice(
                "select",
                "latest_approved",
                ("latest_approved", "alias", "version", "latest"),
                help="Which version to take.",
            ),
            p_str(
                "alias",
                "staging",
                help="The alias whose version to take.",
                visible_when=("select", "alias"),
            ),
            p_int(
                "version",
                1,
                1,
                help="The version number to take.",
                visible_when=("select", "version"),
            ),
        ),
    ),
    StageSpec(
        id="package",
        title="Package",
        category="Operate",
        side_effects=True,
        kind="package",
        icon="package",
        description="Write a self-contained package: the model (skops), a model card in "
        "Markdown and an environment spec with exact package versions, as a folder and a zip.",
        impl="mlops_desktop.stages.operate:package",
        inputs=(inp("model_version", T.MODEL_VERSION),),
        outputs=(out("model_version", T.MODEL_VERSION), out("package", T.REPORT)),
        params=(
            p_str("intended_use", "", help="Intended use, for the model card."),
            p_str("limitations", "", help="Known limits, for the model card."),
            p_path(
                "output_folder",
                help="Folder to write the package into; empty for the workspace's packages folder.",
            ),
        ),
    ),
    StageSpec(
        id="model_tests",
        title="Model tests",
        category="Operate",
        side_effects=True,
        kind="test_load",
        icon="test",
        description="Behavioural checks: no NaN or infinite outputs, deterministic predictions, "
        "invariance to column order, and a load test of prediction latency and throughput.",
        impl="mlops_desktop.stages.operate:model_tests",
        inputs=(inp("model_version", T.MODEL_VERSION), inp("split", T.SPLIT)),
        outputs=(out("model_version", T.MODEL_VERSION), out("report", T.METRICS)),
        params=(
            p_int("load_rows", 1000, 1, 1_000_000, help="Rows scored by the load test."),
            p_float("max_latency_ms", 50.0, 0.0, help="Largest allowed median one-row latency."),
            p_bool("fail_on_problem", True, help="Fail the run when a check fails (else warn)."),
            p_int("seed", 0, lo=0),
        ),
    ),
    StageSpec(
        id="approve",
        title="Approve",
        category="Operate",
        side_effects=True,
        kind="approve",
        icon="approve",
        description="A human gate: in the app the run waits for Approve or Reject with a "
        "comment; headless it follows the policy. The approver is recorded.",
        impl="mlops_desktop.stages.operate:approve",
        inputs=(inp("model_version", T.MODEL_VERSION),),
        outputs=(out("model_version", T.MODEL_VERSION),),
        params=(
            p_choice(
                "headless_policy",
                "reject",
                ("approve", "reject", "approve_if_checks_pass"),
                help="What a run without a person at the screen does.",
            ),
            p_float(
                "timeout_minutes",
                0.0,
                0.0,
                10_080.0,
                help="How long the app waits for a person before following the headless "
                "policy (0: as long as it takes).",
            ),
        ),
    ),
    StageSpec(
        id="deploy",
        title="Deploy",
        category="Operate",
        side_effects=True,
        kind="deploy",
        icon="deploy",
        description="Promote the model version to an environment with a strategy: direct, "
        "canary with a traffic share, or shadow. Records a deployment event.",
        impl="mlops_desktop.stages.operate:deploy",
        inputs=(inp("model_version", T.MODEL_VERSION),),
        outputs=(out("deployment", T.DEPLOYMENT),),
        params=(
            p_choice("environment", "production", ENVIRONMENTS),
            p_choice("strategy", "direct", ("direct", "canary", "shadow")),
            p_float("traffic_share", 0.1, 0.0, 1.0, help="Share of traffic for a canary."),
        ),
    ),
    StageSpec(
        id="simulate_traffic",
        title="Simulate traffic",
        category="Operate",
        side_effects=True,
        kind="traffic",
        icon="traffic",
        description="Produce a batch of serving data from the held-out part, with a drift that "
        "grows over time (shift, scale, new categories, label flip), to watch monitoring work.",
        impl="mlops_desktop.stages.operate:simulate_traffic",
        inputs=(inp("split", T.SPLIT),),
        outputs=(out("dataset", T.DATASET),),
        params=(
            p_int("batch_size", 200, 1, 1_000_000),
            p_choice("drift", "shift", ("none", "shift", "scale", "new_category", "label_flip")),
            p_float(
                "drift_per_batch",
                0.5,
                0.0,
                100.0,
                help="How much the drift grows each batch: standard deviations (shift), scale "
                "factor (scale), share of rows (new category, label flip).",
            ),
            p_str("columns", "", help="Comma-separated columns that drift; empty for all."),
            p_int("seed", 0, lo=0),
        ),
    ),
    StageSpec(
        id="production_feedback",
        title="Production feedback",
        category="Operate",
        side_effects=True,
        kind="data_ingest",
        icon="traffic",
        description="Add the labelled rows production served in earlier runs (once their "
        "labels have arrived) to the split: most to training, a share to the test part. The "
        "rows are also a dataset of their own, each naming the run and model version that "
        "served it.",
        impl="mlops_desktop.stages._feedback:production_feedback",
        inputs=(inp("split", T.SPLIT),),
        outputs=(out("split", T.SPLIT), out("dataset", T.DATASET)),
        params=(
            p_str("serve_node", "serve", help="The Serve stage (its id) whose rows come back."),
            p_int(
                "label_delay_runs",
                1,
                1,
                1000,
                help="Labels arrive this many runs after the rows were served.",
            ),
            p_int(
                "window_runs",
                3,
                0,
                1000,
                help="Use the labelled rows of this many latest runs (0: all of them).",
            ),
            p_float(
                "test_share",
                0.25,
                0.0,
                0.9,
                help="Share of the production rows added to the test part.",
            ),
            p_int("seed", 0, lo=0),
        ),
    ),
    StageSpec(
        id="serve",
        title="Serve",
        category="Operate",
        side_effects=True,
        kind="serve",
        icon="serve",
        description="Batch-score a dataset with the deployed model, writing predictions and an "
        "inference log; optionally a local HTTP endpoint on 127.0.0.1 (off by default). With no "
        "deployment link it serves what the environment served when the run started: its "
        "primary, with the canary's share of rows or a shadow scoring beside it.",
        impl="mlops_desktop.stages.operate:serve",
        inputs=(
            inp("deployment", T.DEPLOYMENT, optional=True),
            inp("dataset", T.DATASET),
        ),
        outputs=(out("predictions", T.PREDICTIONS),),
        params=(
            p_str(
                "environment",
                "production",
                help="Served when no deployment is linked: what serves this environment.",
            ),
            p_bool("http_endpoint", False, help="Also answer POST /predict on 127.0.0.1."),
            p_int("port", 8765, 0, 65535, help="Endpoint port (0 picks a free one)."),
            p_int(
                "endpoint_seconds",
                0,
                0,
                86400,
                help="Keep the endpoint open this long after the batch (cancel to stop).",
            ),
            p_int(
                "canary_decision_rows",
                0,
                0,
                10_000_000,
                help="Once the environment's canary answered this many rows whose labels have "
                "arrived (served by earlier runs), promote it if its error rate is no worse "
                "than the primary's, else roll it back (0: decide by hand).",
            ),
        ),
    ),
    StageSpec(
        id="online_experiment",
        title="Online experiment",
        category="Operate",
        side_effects=True,
        kind="online_exp",
        icon="experiment",
        description="A/B or canary comparison of two model versions on a split of incoming "
        "data, with the metric difference and a confidence interval.",
        impl="mlops_desktop.stages.operate:online_experiment",
        inputs=(inp("model_version", T.MODEL_VERSION), inp("dataset", T.DATASET)),
        outputs=(out("metrics", T.METRICS),),
        params=(
            p_choice("design", "ab", ("ab", "canary")),
            p_float("share", 0.5, 0.01, 0.99),
            p_str("baseline_alias", "production"),
            p_int("seed", 0, lo=0),
        ),
    ),
    StageSpec(
        id="monitor",
        title="Monitor",
        category="Operate",
        side_effects=True,
        kind="monitor",
        icon="monitor",
        description="Compare serving data with the training reference: per-feature drift (PSI "
        "and Kolmogorov-Smirnov), prediction drift, quality when labels are present, latency. "
        "Raises an alert when a threshold is crossed; wire the alert to retrain.",
        impl="mlops_desktop.stages.operate:monitor",
        inputs=(inp("reference", T.SPLIT), inp("predictions", T.PREDICTIONS)),
        outputs=(out("report", T.METRICS), out("alert", T.TRIGGER)),
        params=(
            p_float(
                "psi_threshold",
                0.2,
                0.0,
                help="A column drifts when its PSI (the effect size) exceeds this.",
            ),
            p_float(
                "ks_pvalue",
                0.01,
                0.0,
                1.0,
                help="Significance level shown beside each column's KS / chi-square p-value "
                "(reported; the PSI decides).",
            ),
            p_float(
                "max_drifted_share",
                0.25,
                0.0,
                1.0,
                help="Alert when more than this share of the features drift.",
            ),
            p_float(
                "min_accuracy", 0.0, 0.0, 1.0, help="Alert when labelled accuracy falls below."
            ),
            p_float(
                "max_accuracy_drop",
                0.1,
                0.0,
                1.0,
                help="Alert when labelled accuracy falls this much below its value in the first "
                "run that served the same version with labels: performance decay (0: off).",
            ),
            p_float(
                "max_latency_ms",
                0.0,
                0.0,
                help="Alert when the mean latency per row exceeds this (0: no limit).",
            ),
            p_float(
                "max_latency_ratio",
                10.0,
                0.0,
                help="Alert when the latency per row reaches this many times the latency of "
                "the first run that served the same version (0: off).",
            ),
            p_int("bins", 10, 2, 100, help="Quantile bins for PSI."),
        ),
    ),
    StageSpec(
        id="python_function",
        title="Python function",
        category="Custom",
        kind="custom",
        icon="python",
        description="Run a function from a file or module you name, with typed inputs and "
        "outputs. A project from elsewhere runs it only after you trust it for this workspace.",
        impl="mlops_desktop.stages.custom:python_function",
        inputs=(inp("input", T.ANY, optional=True),),
        outputs=(out("output", T.ANY),),
        params=(
            p_path(
                "file",
                help="A .py file (or leave empty and give a module).",
                file_filter="Python (*.py)",
            ),
            p_str("module", help="An importable module name."),
            p_str("function", "run", help="The function to call."),
        ),
    ),
]
