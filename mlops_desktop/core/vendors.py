"""The catalogue of cloud vendors the app compares, read from ``resources/vendors.json``.

One place names a vendor: its id (``aws``, ``google``, ``azure``), its title ("Google
Cloud"), its short name for toolbars ("Google"), the maker named on its maturity model
("Microsoft"), the id of that maturity model, and its lifecycle lenses (Azure has two: the
Azure ML workflow and TDSP). Menus, dialogs, reports and the command line list vendors from
here, so adding a vendor is a data change.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from mlops_desktop.core.errors import NotFoundError
from mlops_desktop.core.resources import load_json


@dataclass(frozen=True, slots=True)
class Lens:
    """A lifecycle lens: the id of a ``resources/lifecycles`` file, its toolbar label and the
    longer name on its lifecycle-map tab."""

    id: str
    label: str
    tab: str


@dataclass(frozen=True, slots=True)
class Vendor:
    id: str
    title: str  # "Google Cloud", "Microsoft Azure", "AWS"
    short: str  # "Google", "Azure", "AWS"
    maker: str  # named on the maturity model: "Google", "Microsoft", "AWS"
    model: str  # the id of its maturity model (resources/maturity)
    lenses: tuple[Lens, ...]


@dataclass(frozen=True, slots=True)
class Catalogue:
    vendors: tuple[Vendor, ...]  # in lens order
    maturity_order: tuple[str, ...]  # vendor ids in the order of the maturity models
    default: str  # the vendor a new project or report starts from

    def get(self, vendor_id: str) -> Vendor:
        for v in self.vendors:
            if v.id == vendor_id:
                return v
        known = ", ".join(self.ids())
        raise NotFoundError(f"unknown vendor '{vendor_id}' (choose one of {known})")

    def ids(self) -> tuple[str, ...]:
        """Vendor ids in lens order: ``("aws", "google", "azure")``."""
        return tuple(v.id for v in self.vendors)

    def by_maturity(self) -> tuple[Vendor, ...]:
        """Vendors in the order their maturity models are shown."""
        return tuple(self.get(i) for i in self.maturity_order)

    def model_ids(self) -> tuple[str, ...]:
        """The vendors' maturity model ids, in maturity order."""
        return tuple(v.model for v in self.by_maturity())

    def lenses(self) -> tuple[Lens, ...]:
        """Every lifecycle lens, in order."""
        return tuple(lens for v in self.vendors for lens in v.lenses)

    def lens_label(self, lens_id: str) -> str:
        return next((x.label for x in self.lenses() if x.id == lens_id), lens_id)

    def lens_tab(self, lens_id: str) -> str:
        return next((x.tab for x in self.lenses() if x.id == lens_id), lens_id)

    def titles(self) -> dict[str, str]:
        """``{vendor id: title}``."""
        return {v.id: v.title for v in self.vendors}

    def makers(self) -> dict[str, str]:
        """``{maturity model id: maker}``: "Microsoft" for ``azure``."""
        return {v.model: v.maker for v in self.vendors}


@cache
def catalogue() -> Catalogue:
    """The shipped vendor catalogue (read once)."""
    data = load_json("vendors.json")
    vendors = tuple(
        Vendor(
            id=v["id"],
            title=v["title"],
            short=v["short"],
            maker=v["maker"],
            model=v["model"],
            lenses=tuple(Lens(x["id"], x["label"], x["tab"]) for x in v["lenses"]),
        )
        for v in data["vendors"]
    )
    return Catalogue(vendors, tuple(data["maturity_order"]), data["default"])
