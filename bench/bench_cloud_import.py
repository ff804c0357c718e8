"""Cloud pipeline import speed: 200-step Azure ML, Kubeflow/Vertex and SageMaker definitions.

Each definition is built from blocks of ten steps (ingest, data check, preprocess, features,
train, evaluate, a condition on the evaluation, register, deploy, and the condition's else
step), each block reading the previous block's data. "Import" is the whole user path through
the app service: read and safely load the file, parse, place every step, build the pipeline,
and store it in a fresh SQLite workspace. The peer is the app's own JSON import of the same
pipeline (already native). "Make a local copy" turns the imported SageMaker pipeline into
built-in stages and stores it. Medians of 5 after one warm-up. Target: under 1 s.

Run: python bench/bench_cloud_import.py
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

STEPS = 200
REPEATS = 5


def sagemaker_definition(steps: int) -> dict[str, Any]:
    out: list[dict[str, Any]] = []
    for b in range(steps // 10):
        p = f"B{b}"
        prev = [f"B{b - 1}Evaluate"] if b else []
        img = {"ImageUri": "sagemaker-scikit-learn:1.2-1", "ContainerEntrypoint": ["python3"]}
        get = lambda s, k="Outputs['out'].S3Output.S3Uri": {"Get": f"Steps.{s}.{k}"}  # noqa: E731
        out += [
            {
                "Name": f"{p}Ingest",
                "Type": "Processing",
                "DependsOn": prev,
                "Arguments": {"AppSpecification": img},
            },
            {
                "Name": f"{p}DataQuality",
                "Type": "QualityCheck",
                "CheckType": "DATA_QUALITY",
                "Arguments": {"Input": get(f"{p}Ingest")},
            },
            {
                "Name": f"{p}Preprocess",
                "Type": "Processing",
                "Arguments": {"AppSpecification": img, "Input": get(f"{p}DataQuality")},
            },
            {
                "Name": f"{p}Features",
                "Type": "Processing",
                "Arguments": {"AppSpecification": img, "Input": get(f"{p}Preprocess")},
            },
            {
                "Name": f"{p}Train",
                "Type": "Training",
                "Arguments": {
                    "AlgorithmSpecification": {"TrainingImage": "xgboost:1.7"},
                    "HyperParameters": {"max_depth": "5", "eta": "0.2"},
                    "Input": get(f"{p}Features"),
                },
            },
            {
                "Name": f"{p}Evaluate",
                "Type": "Processing",
                "Arguments": {
                    "AppSpecification": img,
                    "Model": get(f"{p}Train", "ModelArtifacts.S3ModelArtifacts"),
                },
                "PropertyFiles": [{"PropertyFileName": "Report", "FilePath": "evaluation.json"}],
            },
            {
                "Name": f"{p}Check",
                "Type": "Condition",
                "Arguments": {
                    "Conditions": [
                        {
                            "Type": "GreaterThanOrEqualTo",
                            "LeftValue": {
                                "Std:JsonGet": {
                                    "PropertyFile": {
                                        "Get": f"Steps.{p}Evaluate.PropertyFiles.Report"
                                    },
                                    "Path": "metrics.auc.value",
                                }
                            },
                            "RightValue": 0.8,
                        }
                    ],
                    "IfSteps": [
                        {
                            "Name": f"{p}Register",
                            "Type": "RegisterModel",
                            "Arguments": {
                                "ModelPackageGroupName": "g",
                                "Data": get(f"{p}Train", "ModelArtifacts.S3ModelArtifacts"),
                            },
                        },
                        {
                            "Name": f"{p}Deploy",
                            "Type": "Lambda",
                            "DependsOn": [f"{p}Register"],
                            "Arguments": {},
                        },
                    ],
                    "ElseSteps": [
                        {
                            "Name": f"{p}Fail",
                            "Type": "Fail",
                            "Arguments": {"ErrorMessage": "AUC too low"},
                        }
                    ],
                },
            },
        ]
    return {"Version": "2020-12-01", "Metadata": {}, "Parameters": [], "Steps": out}


def kfp_definition(steps: int) -> dict[str, Any]:
    components: dict[str, Any] = {}
    executors: dict[str, Any] = {}
    tasks: dict[str, Any] = {}
    names = (
        "ingest",
        "validate-data",
        "preprocess",
        "features",
        "train",
        "evaluate",
        "upload-model",
        "deploy-endpoint",
        "notify-failure",
        "report",
    )
    for n in names:
        components[f"comp-{n}"] = {"executorLabel": f"exec-{n}"}
        executors[f"exec-{n}"] = {
            "container": {"image": f"gcr.io/p/{n}:1", "command": ["python", f"{n}.py"]}
        }
    for b in range(steps // 10):
        t = lambda n, b=b: f"b{b}-{n}"  # noqa: E731
        chain = [
            t("ingest"),
            t("validate-data"),
            t("preprocess"),
            t("features"),
            t("train"),
            t("evaluate"),
        ]
        for i, name in enumerate(chain):
            deps = [chain[i - 1]] if i else ([f"b{b - 1}-evaluate"] if b else [])
            task: dict[str, Any] = {
                "componentRef": {"name": "comp-" + name.split("-", 1)[1]},
                "taskInfo": {"name": name},
                "dependentTasks": deps,
            }
            if i:
                task["inputs"] = {
                    "artifacts": {
                        "data": {
                            "taskOutputArtifact": {
                                "producerTask": chain[i - 1],
                                "outputArtifactKey": "out",
                            }
                        }
                    }
                }
            tasks[name] = task
        cond = f"comp-condition-{b}"
        components[cond] = {
            "dag": {
                "tasks": {
                    "upload-model": {
                        "componentRef": {"name": "comp-upload-model"},
                        "taskInfo": {"name": t("upload-model")},
                    },
                    "deploy-endpoint": {
                        "componentRef": {"name": "comp-deploy-endpoint"},
                        "dependentTasks": ["upload-model"],
                        "taskInfo": {"name": t("deploy-endpoint")},
                    },
                    "report": {
                        "componentRef": {"name": "comp-report"},
                        "dependentTasks": ["deploy-endpoint"],
                        "taskInfo": {"name": t("report")},
                    },
                }
            }
        }
        tasks[f"condition-{b}"] = {
            "componentRef": {"name": cond},
            "dependentTasks": [t("evaluate")],
            "taskInfo": {"name": f"condition-{b}"},
            "inputs": {
                "parameters": {
                    "pipelinechannel--auc": {
                        "taskOutputParameter": {
                            "producerTask": t("evaluate"),
                            "outputParameterKey": "auc",
                        }
                    }
                }
            },
            "triggerPolicy": {"condition": "inputs.parameter_values['pipelinechannel--auc'] > 0.8"},
        }
        tasks[t("notify-failure")] = {
            "componentRef": {"name": "comp-notify-failure"},
            "dependentTasks": [t("evaluate")],
            "taskInfo": {"name": t("notify-failure")},
        }
    return {
        "pipelineInfo": {"name": f"vertex-{steps}"},
        "components": components,
        "deploymentSpec": {"executors": executors},
        "root": {"dag": {"tasks": tasks}},
        "schemaVersion": "2.1.0",
        "sdkVersion": "kfp-2.7.0",
    }


def azure_definition(steps: int) -> dict[str, Any]:
    jobs: dict[str, Any] = {}
    names = (
        "ingest",
        "validate_data",
        "prep",
        "features",
        "train",
        "sweep",
        "evaluate",
        "gate",
        "register",
        "deploy",
    )
    for b in range(steps // 10):
        j = lambda n, b=b: f"b{b}_{n}"  # noqa: E731
        prev = None
        for n in names:
            job: dict[str, Any] = {
                "type": "command",
                "component": {
                    "name": n,
                    "command": f"python {n}.py",
                    "environment": "azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu@latest",
                },
            }
            src = prev or (f"b{b - 1}_evaluate" if b else None)
            if n == "sweep":
                job = {"type": "sweep", "trial": job["component"]}
            if n == "gate":
                job = {
                    "type": "if_else",
                    "condition": f"${{{{parent.jobs.{j('evaluate')}.outputs.is_better}}}}",
                    "true_block": f"${{{{parent.jobs.{j('register')}}}}}",
                }
            elif src and n != "register":
                job["inputs"] = {"data": f"${{{{parent.jobs.{src}.outputs.out}}}}"}
            elif n == "register":
                job["inputs"] = {"model": f"${{{{parent.jobs.{j('train')}.outputs.model}}}}"}
            jobs[j(n)] = job
            prev = j(n)
    return {"type": "pipeline", "display_name": f"azure-{steps}", "jobs": jobs}


def write_definitions(folder: Path, steps: int = STEPS) -> dict[str, Path]:
    import yaml

    paths = {
        "sagemaker": folder / "sagemaker.json",
        "kfp": folder / "vertex.yaml",
        "azureml": folder / "azureml.yml",
    }
    paths["sagemaker"].write_text(json.dumps(sagemaker_definition(steps)))
    paths["kfp"].write_text(yaml.safe_dump(kfp_definition(steps), sort_keys=False))
    paths["azureml"].write_text(yaml.safe_dump(azure_definition(steps), sort_keys=False))
    return paths


def _median(fn: Any) -> float:
    fn()
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run() -> list[dict[str, Any]]:
    from mlops_desktop.app.cloud_import import CloudImportService, read_definition
    from mlops_desktop.app.projects import ProjectService
    from mlops_desktop.app.workspace import Workspace

    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        paths = write_definitions(tmp)
        with Workspace.open(str(tmp / "ws.db")) as ws:
            ProjectService(ws).create_project("bench")
            counter = iter(range(10_000))
            for fmt, path in paths.items():
                ext, _ = read_definition(path)
                size = path.stat().st_size / 1024
                parse = _median(lambda p=path: read_definition(p))
                service = CloudImportService(ws)
                full = _median(
                    lambda p=path, f=fmt, s=service: s.import_file(
                        "bench", p, f"{f}-{next(counter)}"
                    )
                )
                note = f"{len(ext.steps)} steps, {size:.0f} KiB"
                rows.append(_row(f"{fmt}: read + parse", parse, note))
                rows.append(_row(f"{fmt}: import into a workspace", full, note + "; target < 1 s"))
            # the peer: the app's own JSON import of the same (native) pipeline
            native = tmp / "native.json"
            name = next(
                p.name
                for p in ProjectService(ws).list_pipelines("bench")
                if p.name.startswith("sagemaker")
            )
            ProjectService(ws).export_pipeline("bench", name, native)
            peer = _median(
                lambda: ProjectService(ws).import_pipeline(
                    "bench", native, f"native-{next(counter)}"
                )
            )
            rows.append(_row("native JSON import (peer)", peer, "same pipeline, already native"))
            copy = _median(
                lambda: CloudImportService(ws).make_local_copy(
                    "bench", name, f"local-{next(counter)}"
                )
            )
            rows.append(_row("sagemaker: make a local copy", copy, "200 steps → built-in stages"))
    return rows


def _row(benchmark: str, seconds: float, note: str) -> dict[str, Any]:
    return {
        "benchmark": benchmark,
        "metric": "median",
        "value": round(seconds, 4),
        "unit": "s",
        "note": note,
    }


if __name__ == "__main__":
    for r in run():
        print(f"{r['benchmark']:<40} {r['value']:>8.4f} s   {r['note']}")
