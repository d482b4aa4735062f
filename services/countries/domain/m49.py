"""Where a country lies: the UN M49 geographic regions, by ISO 3166-1 alpha-3 code.

Source: United Nations Statistics Division, *Standard country or area codes
for statistical use* (M49), https://unstats.un.org/unsd/methodology/m49/.
M49 groups areas into regions (Africa, Americas, Asia, Europe, Oceania),
sub-regions (e.g. Northern Africa, Sub-Saharan Africa) and, within some
sub-regions, intermediate regions (e.g. Eastern Africa). Names are M49's
English names; M49 publishes no Dutch ones, so none are invented here.

Two entries are not M49's own: M49 lists no region for Antarctica (so it has
none here), and it does not list Taiwan separately; Taiwan is placed in
Eastern Asia, as common M49-derived tables do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Region:
    """An M49 area: its three-digit code and English name."""

    code: str
    name: str


@dataclass(frozen=True)
class Location:
    """A country's place in M49: region, sub-region and, where M49 has one, intermediate region."""

    region: Region
    sub_region: Region
    intermediate_region: Region | None = None

    @property
    def codes(self) -> frozenset[str]:
        """Every M49 code the country falls under, for filtering by any level."""
        levels = (self.region, self.sub_region, self.intermediate_region)
        return frozenset(level.code for level in levels if level is not None)


AFRICA = Region("002", "Africa")
AMERICAS = Region("019", "Americas")
ASIA = Region("142", "Asia")
EUROPE = Region("150", "Europe")
OCEANIA = Region("009", "Oceania")

NORTHERN_AFRICA = Region("015", "Northern Africa")
SUB_SAHARAN_AFRICA = Region("202", "Sub-Saharan Africa")
NORTHERN_AMERICA = Region("021", "Northern America")
LATIN_AMERICA_AND_CARIBBEAN = Region("419", "Latin America and the Caribbean")
NORTHERN_EUROPE = Region("154", "Northern Europe")

# (region, sub-region, intermediate region or None) -> alpha-3 codes, in M49 order.
_AREAS: Final[tuple[tuple[Region, Region, Region | None, str], ...]] = (
    (AFRICA, NORTHERN_AFRICA, None, "DZA EGY LBY MAR SDN TUN ESH"),
    (
        AFRICA,
        SUB_SAHARAN_AFRICA,
        Region("014", "Eastern Africa"),
        "IOT BDI COM DJI ERI ETH ATF KEN MDG MWI MUS MYT MOZ REU RWA SYC SOM SSD UGA TZA ZMB ZWE",
    ),
    (
        AFRICA,
        SUB_SAHARAN_AFRICA,
        Region("017", "Middle Africa"),
        "AGO CMR CAF TCD COG COD GNQ GAB STP",
    ),
    (AFRICA, SUB_SAHARAN_AFRICA, Region("018", "Southern Africa"), "BWA SWZ LSO NAM ZAF"),
    (
        AFRICA,
        SUB_SAHARAN_AFRICA,
        Region("011", "Western Africa"),
        "BEN BFA CPV CIV GMB GHA GIN GNB LBR MLI MRT NER NGA SHN SEN SLE TGO",
    ),
    (AMERICAS, NORTHERN_AMERICA, None, "BMU CAN GRL SPM USA"),
    (
        AMERICAS,
        LATIN_AMERICA_AND_CARIBBEAN,
        Region("029", "Caribbean"),
        "AIA ATG ABW BHS BRB BES VGB CYM CUB CUW DMA DOM GRD GLP HTI JAM MTQ MSR PRI BLM KNA "
        "LCA MAF VCT SXM TTO TCA VIR",
    ),
    (
        AMERICAS,
        LATIN_AMERICA_AND_CARIBBEAN,
        Region("013", "Central America"),
        "BLZ CRI SLV GTM HND MEX NIC PAN",
    ),
    (
        AMERICAS,
        LATIN_AMERICA_AND_CARIBBEAN,
        Region("005", "South America"),
        "ARG BOL BVT BRA CHL COL ECU FLK GUF GUY PRY PER SGS SUR URY VEN",
    ),
    (ASIA, Region("143", "Central Asia"), None, "KAZ KGZ TJK TKM UZB"),
    (ASIA, Region("030", "Eastern Asia"), None, "CHN HKG MAC PRK JPN MNG KOR TWN"),
    (
        ASIA,
        Region("035", "South-eastern Asia"),
        None,
        "BRN KHM IDN LAO MYS MMR PHL SGP THA TLS VNM",
    ),
    (ASIA, Region("034", "Southern Asia"), None, "AFG BGD BTN IND IRN MDV NPL PAK LKA"),
    (
        ASIA,
        Region("145", "Western Asia"),
        None,
        "ARM AZE BHR CYP GEO IRQ ISR JOR KWT LBN OMN QAT SAU PSE SYR TUR ARE YEM",
    ),
    (EUROPE, Region("151", "Eastern Europe"), None, "BLR BGR CZE HUN POL MDA ROU RUS SVK UKR"),
    (
        EUROPE,
        NORTHERN_EUROPE,
        None,
        "ALA DNK EST FRO FIN ISL IRL IMN LVA LTU NOR SJM SWE GBR",
    ),
    (EUROPE, NORTHERN_EUROPE, Region("830", "Channel Islands"), "GGY JEY"),
    (
        EUROPE,
        Region("039", "Southern Europe"),
        None,
        "ALB AND BIH HRV GIB GRC VAT ITA MLT MNE MKD PRT SMR SRB SVN ESP",
    ),
    (EUROPE, Region("155", "Western Europe"), None, "AUT BEL FRA DEU LIE LUX MCO NLD CHE"),
    (OCEANIA, Region("053", "Australia and New Zealand"), None, "AUS CXR CCK HMD NZL NFK"),
    (OCEANIA, Region("054", "Melanesia"), None, "FJI NCL PNG SLB VUT"),
    (OCEANIA, Region("057", "Micronesia"), None, "GUM KIR MHL FSM NRU MNP PLW UMI"),
    (OCEANIA, Region("061", "Polynesia"), None, "ASM COK PYF NIU PCN WSM TKL TON TUV WLF"),
)


def _index() -> dict[str, Location]:
    locations: dict[str, Location] = {}
    for region, sub_region, intermediate, codes in _AREAS:
        for code in codes.split():
            if code in locations:
                raise ValueError(f"{code} is listed in two M49 areas")
            locations[code] = Location(region, sub_region, intermediate)
    return locations


#: Every ISO 3166-1 country M49 places in a region, by alpha-3 code.
LOCATIONS: Final[dict[str, Location]] = _index()


def location_of(alpha_3: str) -> Location | None:
    """The M49 location of a country; ``None`` for Antarctica (M49 gives it no region)."""
    return LOCATIONS.get(alpha_3)
