"""The vendor catalogue agrees with the lifecycle and maturity files it names."""

from __future__ import annotations

from mlops_desktop.core.lifecycle import LENS_ORDER, lifecycle
from mlops_desktop.core.maturity.models import MODEL_TITLES, VENDOR_MODELS, load_model
from mlops_desktop.core.resources import list_resources
from mlops_desktop.core.vendors import catalogue


def test_every_vendor_names_files_that_exist_with_its_title() -> None:
    cat = catalogue()
    assert cat.default in cat.ids()
    assert sorted(cat.maturity_order) == sorted(cat.ids())
    for vendor in cat.vendors:
        assert load_model(vendor.model).id == vendor.model
        for lens in vendor.lenses:
            assert lens.id in list_resources("lifecycles")
        assert lifecycle(vendor.lenses[0].id).vendor == vendor.title


def test_the_lenses_and_models_are_the_catalogues() -> None:
    cat = catalogue()
    assert LENS_ORDER == tuple(lens.id for lens in cat.lenses())
    assert VENDOR_MODELS == cat.model_ids()
    assert MODEL_TITLES["azure"] == "Microsoft" and MODEL_TITLES["mlts"] == "ML Test Score"
