"""The UN M49 geoscheme (config/m49.csv): which region, sub-region and intermediate region
each country belongs to, and their names in the reader's language."""

import csv
from dataclasses import dataclass
from functools import cache

from flask_babel import lazy_gettext as _l

from forum.settings import PROJECT_ROOT

M49_FILE = PROJECT_ROOT / "config" / "m49.csv"

# The names of the areas by their M49 code, as the UN's own languages write them.
AREA_NAMES = {
    "002": _l("Africa"),
    "015": _l("Northern Africa"),
    "202": _l("Sub-Saharan Africa"),
    "014": _l("Eastern Africa"),
    "017": _l("Middle Africa"),
    "018": _l("Southern Africa"),
    "011": _l("Western Africa"),
    "019": _l("Americas"),
    "419": _l("Latin America and the Caribbean"),
    "029": _l("Caribbean"),
    "013": _l("Central America"),
    "005": _l("South America"),
    "021": _l("Northern America"),
    "142": _l("Asia"),
    "143": _l("Central Asia"),
    "030": _l("Eastern Asia"),
    "035": _l("South-eastern Asia"),
    "034": _l("Southern Asia"),
    "145": _l("Western Asia"),
    "150": _l("Europe"),
    "151": _l("Eastern Europe"),
    "154": _l("Northern Europe"),
    "830": _l("Channel Islands"),
    "039": _l("Southern Europe"),
    "155": _l("Western Europe"),
    "009": _l("Oceania"),
    "053": _l("Australia and New Zealand"),
    "054": _l("Melanesia"),
    "057": _l("Micronesia"),
    "061": _l("Polynesia"),
}


@dataclass(frozen=True)
class Placement:
    """Where a country sits in the geoscheme: the codes of its areas, widest first."""

    region: str
    sub_region: str
    intermediate_region: str

    @property
    def areas(self) -> tuple[str, ...]:
        return tuple(code for code in (self.region, self.sub_region,
                                       self.intermediate_region) if code)  # fmt: skip


@cache
def placements() -> dict[str, Placement]:
    """Every country the table lists, by its ISO alpha-2 code."""
    with M49_FILE.open(newline="", encoding="utf-8") as file:
        rows = csv.DictReader(line for line in file if not line.startswith("#"))
        return {
            row["alpha2"]: Placement(
                row["region_code"], row["sub_region_code"], row["intermediate_region_code"]
            )
            for row in rows
        }


def region_of(country: str) -> str | None:
    """The M49 region code of a country (None for an area the table leaves out)."""
    placement = placements().get(country)
    return placement.region if placement else None


def countries_in(area: str) -> list[str]:
    """The countries of a region, sub-region or intermediate region."""
    return sorted(code for code, place in placements().items() if area in place.areas)


REGIONS = ("002", "019", "142", "150", "009")
INTERMEDIATE_REGIONS = ("014", "017", "018", "011", "029", "013", "005", "830")


def area_tree() -> list[tuple[str, int]]:
    """Every area with its depth (0 for the regions, 1 for sub-regions, 2 for intermediate
    regions), each after the area it belongs to, for a list to choose one from."""
    return [
        (code, 0 if code in REGIONS else 2 if code in INTERMEDIATE_REGIONS else 1)
        for code in AREA_NAMES
    ]


def area_name(code: str) -> str:
    return str(AREA_NAMES.get(code, code))
