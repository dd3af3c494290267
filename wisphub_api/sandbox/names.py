"""Vocabulary of the synthetic dataset: Colombian names, places and address forms.

Everything here is invented or common public vocabulary; no real subscriber is described.
"""

from __future__ import annotations

import unicodedata

FEMALE_NAMES = (
    "María", "Luz Marina", "Esperanza", "Ana Lucía", "Claudia", "Sandra Milena", "Gloria",
    "Martha Cecilia", "Diana Marcela", "Paola Andrea", "Yolanda", "Leidy Johanna", "Carmen Rosa",
    "Nohora", "Adriana", "Ángela María", "Luz Dary", "Yaneth", "Rocío", "Beatriz", "Mónica",
    "Natalia", "Valentina", "Daniela", "Mariana", "Isabel", "Lucero", "Amparo", "Fabiola",
    "Mercedes", "Érika", "Viviana", "Jimena", "Sofía", "Olga Lucía", "Marleny",
)
MALE_NAMES = (
    "José", "Luis Carlos", "Carlos Andrés", "Juan Pablo", "Jorge Eliécer", "Jhon Jairo",
    "Andrés Felipe", "Diego Fernando", "Óscar", "Hernán", "Álvaro", "Fabián", "Édgar", "Julián",
    "Jesús Antonio", "Miguel Ángel", "Víctor Hugo", "Germán", "Wilson", "Fredy", "Harold",
    "Sebastián", "Santiago", "Camilo", "Nicolás", "Alejandro", "Rubén Darío", "Efraín", "Ramiro",
    "Libardo", "Arley", "Yesid", "Héctor Fabio", "Jaime", "Gustavo", "Néstor",
)
SURNAMES = (
    "Rodríguez", "Martínez", "López", "García", "Hernández", "Gómez", "Díaz", "Pérez", "Sánchez",
    "Ramírez", "Torres", "Benítez", "Muñoz", "Peña", "Rojas", "Vargas", "Castillo", "Ortiz",
    "Jiménez", "Morales", "Ordóñez", "Chicangana", "Quilindo", "Ruiz", "Bolaños",
    "Guzmán", "Mosquera", "Valencia", "Zúñiga", "Fernández", "Cerón", "Álvarez", "Gutiérrez",
    "Castro", "Idrobo", "Paz", "Realpe", "Velasco", "Córdoba", "Montenegro", "Hurtado",
    "Ñañez", "Sandoval", "Caicedo", "Solarte", "Ibarra", "Narváez", "Ospina",
)

# City spellings as operators type them; the first of each tuple is the usual one.
CITIES = (
    (("POPAYAN", "POPAYÁN", "Popayán", "POPAYAN CAUCA"), 46),
    (("CALI", "SANTIAGO DE CALI", "Cali"), 10),
    (("TIMBIO", "TIMBÍO"), 10),
    (("PIENDAMO", "PIENDAMÓ", "PIENDAMO TUNIA"), 9),
    (("SANTANDER DE QUILICHAO", "STDER DE QUILICHAO", "SANTANDER"), 8),
    (("EL TAMBO", "TAMBO"), 6),
    (("CAJIBIO", "CAJIBÍO"), 5),
    (("MORALES",), 3),
    (("SILVIA",), 3),
)
LOCALITIES = (
    "BELLAVISTA", "LA ESPERANZA", "CENTRO", "EL PLATEADO", "LOMA DE LA VIRGEN", "SAN JOSE",
    "LA PAZ", "EL BOSQUE", "LOS ANDES", "CAMPO BELLO", "LA PRIMAVERA", "VILLA DEL NORTE",
    "EL TAMBO", "LAS AMERICAS", "SANTA ELENA", "CAMPAMENTO", "EL ROSARIO", "GUAYABAL",
    "LA CABUYERA", "SAMANGA", "",
)
VEREDAS = (
    "LA ESPERANZA", "EL TAMBO", "LAS GUACAS", "CALIBIO", "EL HATO", "LA CAPILLA", "SAN BERNARDINO",
    "PUELENJE", "CUATRO ESQUINAS", "LOS ROBLES", "SANTA BARBARA", "EL CHARCO",
)
BARRIOS = (
    "LA PAZ", "SAN JOSE", "BELLAVISTA", "EL CADILLAL", "LOS SAUCES", "LA MARIA", "BOLIVAR",
    "EL MODELO", "CAMILO TORRES", "SANTA INES", "PANDIGUANDO", "LA ESMERALDA", "VILLA DEL SOL",
)
FINCAS = ("LOS PINOS", "EL PARAISO", "LA FLORESTA", "VILLA ROSA", "LAS BRISAS", "EL MIRADOR")
STREET_WORDS = ("CALLE", "CL", "CLL", "CARRERA", "CRA", "KR", "CR", "DIAGONAL", "TRANSVERSAL")

ZONES = ("NORTE", "SUR", "ORIENTE", "OCCIDENTE", "CENTRO")
ROUTER_FAULT = "Corte de fibra en el troncal, cuadrilla en camino"
EMAIL_DOMAINS = ("gmail.com", "hotmail.com", "yahoo.es", "outlook.com")
MOBILE_PREFIXES = (
    "300", "301", "302", "304", "305", "310", "311", "312", "313", "314", "315", "316", "317",
    "318", "319", "320", "321", "322", "323", "324", "350", "351",
)
ANTENNAS = ("LiteBeam M5", "LiteBeam AC Gen2", "PowerBeam M5 400", "SXT Lite5", "NanoStation M5")
PLAN_WORDS = ("PLAN", "HOGAR", "FIBRA", "RURAL", "EMPRESARIAL", "BASICO")
PLAN_SPEEDS = (5, 8, 10, 15, 20, 30, 40, 50, 60, 80, 100, 150, 200, 300, 500, 700)


def strip_accents(text: str) -> str:
    """Remove diacritics ("Benítez" -> "Benitez", "Muñoz" -> "Munoz")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def fold(text: str) -> str:
    """Fold case and accents the way Django's unaccent + icontains compare text."""
    return strip_accents(text).casefold()
