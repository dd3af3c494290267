"""Synthetic subscribers: names, documents, phones and addresses as operators type them."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from wisphub_api.sandbox import names

ANCHOR_ID = 7
ANCHOR_GIVEN, ANCHOR_SURNAMES, ANCHOR_ADDRESS = "ESPERANZA", "BENÍTEZ", "BELLAVISTA"


@dataclass(slots=True)
class Person:
    """Who holds one service and where it is installed."""

    given: str
    surnames: str
    cedula: str
    telefono: str
    email: str
    usuario: str | None
    direccion: str
    localidad: str
    ciudad: str


class Registry:
    """Remember issued documents, phones and user names so that each is unique."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def claim(self, make: Callable[[], str]) -> str:
        """Call `make()` until it yields a value not issued before."""
        while True:
            value = make()
            if value not in self.taken:
                self.taken.add(value)
                return value


def _style(rng: random.Random, text: str) -> str:
    # Operators type names in capitals, often without accents, or in title case.
    style = rng.choices(("upper", "plain", "title"), weights=(5, 3, 2))[0]
    if style == "upper":
        return text.upper()
    if style == "plain":
        return names.strip_accents(text).upper()
    return text.title()


def _names(rng: random.Random) -> tuple[str, str]:
    pool = names.FEMALE_NAMES if rng.random() < 0.5 else names.MALE_NAMES
    given = rng.choice(pool)
    surnames = rng.choice(names.SURNAMES)
    if rng.random() < 0.7:
        surnames = f"{surnames} {rng.choice(names.SURNAMES)}"
    styled = _style(rng, f"{given}|{surnames}")
    given, surnames = styled.split("|")
    return given, surnames


def _cedula(rng: random.Random, registry: Registry) -> str:
    if rng.random() < 0.05:
        return ""
    kind = rng.random()
    if kind < 0.4:
        return registry.claim(lambda: f"1061{rng.randint(100000, 999999)}")
    if kind < 0.7:
        return registry.claim(lambda: str(rng.randint(10_000_000, 99_999_999)))
    return registry.claim(lambda: str(rng.randint(1_000_000_000, 1_199_999_999)))


def _mobile(rng: random.Random, registry: Registry) -> str:
    return registry.claim(
        lambda: rng.choice(names.MOBILE_PREFIXES) + f"{rng.randint(0, 9_999_999):07d}"
    )


def _telefono(rng: random.Random, registry: Registry) -> str:
    kind = rng.random()
    if kind < 0.06:
        return ""
    number = _mobile(rng, registry)
    if kind < 0.16:
        return f"{number},{_mobile(rng, registry)}"
    if kind < 0.22:
        return f"+57 {number}"
    if kind < 0.26:
        return f"{number[:3]} {number[3:6]} {number[6:]}"
    if kind < 0.28:
        return f"{number[:3]}-{number[3:6]}-{number[6:]}"
    return number


def _handle(given: str, surnames: str) -> str:
    first = names.fold(given).split()[0]
    last = names.fold(surnames).split()[0]
    return f"{first}.{last}"


def _usuario(rng: random.Random, handle: str, registry: Registry) -> str | None:
    if rng.random() < 0.02:
        return None
    value, counter = f"{handle}@isp-demo", 2
    while value in registry.taken:
        value, counter = f"{handle}{counter}@isp-demo", counter + 1
    registry.taken.add(value)
    return value


def _email(rng: random.Random, handle: str) -> str:
    if rng.random() < 0.3:
        return ""
    return f"{handle}{rng.randint(1, 99)}@{rng.choice(names.EMAIL_DOMAINS)}"


def _urban_address(rng: random.Random) -> str:
    n, a, b = rng.randint(1, 80), rng.randint(1, 60), rng.randint(1, 99)
    barrio = rng.choice(names.BARRIOS)
    forms = (
        f"CALLE {n} # {a}-{b}",
        f"CRA {n} #{a}-{b}",
        f"CL {n} N {a}-{b}",
        f"{rng.choice(names.STREET_WORDS)} {n} NO. {a}-{b}",
        f"B/ {barrio}",
        f"BARRIO {barrio} MZ {rng.randint(1, 12)} CS {rng.randint(1, 30)}",
        barrio,
    )
    return rng.choice(forms)


def _rural_address(rng: random.Random) -> str:
    vereda = rng.choice(names.VEREDAS)
    forms = (
        f"VDA {vereda}",
        f"VEREDA {vereda}",
        f"V/ {vereda}",
        f"FINCA {rng.choice(names.FINCAS)} KM {rng.randint(1, 15)}",
    )
    return rng.choice(forms)


def _ciudad(rng: random.Random) -> str:
    spellings = rng.choices([c[0] for c in names.CITIES], weights=[c[1] for c in names.CITIES])[0]
    if len(spellings) > 1 and rng.random() < 0.15:
        return rng.choice(spellings[1:])
    return spellings[0]


def _place(rng: random.Random) -> tuple[str, str, str]:
    direccion = _urban_address(rng) if rng.random() < 0.65 else _rural_address(rng)
    return direccion, rng.choice(names.LOCALITIES), _ciudad(rng)


def make_person(
    rng: random.Random, service_id: int, registry: Registry, household: Person | None
) -> Person:
    """Draw one subscriber; a `household` lends its surnames and address (a family)."""
    given, surnames = _names(rng)
    direccion, localidad, ciudad = _place(rng)
    if household is not None:
        surnames = household.surnames
        given = given.upper() if surnames.isupper() else given.title()
        direccion, localidad, ciudad = household.direccion, household.localidad, household.ciudad
    if service_id == ANCHOR_ID:
        given, surnames, direccion = ANCHOR_GIVEN, ANCHOR_SURNAMES, ANCHOR_ADDRESS
    cedula, telefono = _cedula(rng, registry), _telefono(rng, registry)
    handle = _handle(given, surnames)
    return Person(
        given,
        surnames,
        cedula,
        telefono,
        _email(rng, handle),
        _usuario(rng, handle, registry),
        direccion,
        localidad,
        ciudad,
    )
