"""A small fictional municipality's meetings in 2024 for the conversation, case and count tests: one case
(cykelstien langs Skolevej, sagsnr. 24/00100) postponed in February, sent to hearing in April and approved
in June by the committee, then Økonomiudvalget and Byrådet; three priced items at the February meeting."""

from __future__ import annotations

from pathlib import Path

COMMITTEE = "Børne- og Skoleudvalget"


def _meeting(body: str, day: str, items: list[tuple[str, str, str, str]]) -> str:
    text = f"Referat af møde i {body}, Tarmvig Kommune, den {day}\n\n"
    for n, (title, case, about, decided) in enumerate(items, 1):
        text += f"Punkt {n}. {title}\nSagsnr.: {case}\n\nSagsfremstilling\n{about}\n\nBeslutning\n{decided}\n\n"
    return text


BIKE = "Cykelsti langs Skolevej"
MEETINGS = {
    "bsu_2024-02-12.txt": _meeting(COMMITTEE, "12. februar 2024", [
        (BIKE, "24/00100", "Forvaltningen har udarbejdet en plan for en cykelsti langs Skolevej. Planen omfatter "
         "en enkeltrettet sti i begge sider af vejen, belysning og to nye krydsningsheller ved skolen. Den "
         "foreløbige pris er 2,1 mio. kr. Planen er drøftet med skolebestyrelsen og lokalrådet.",
         "Udsat. Udvalget ønsker en plan med en dobbeltrettet sti."),
        ("Skolebusser til Nordskolen", "24/00200", "Kontrakten om skolebusserne til Nordskolen koster 1,8 mio. "
         "kr. om året. Busserne kører fra 1. august 2024.", "Godkendt."),
        ("Tablets til indskolingen", "24/00300", "Indkøbet af tablets til indskolingen koster 450.000 kr.",
         "Godkendt."),
        ("Legeplads ved Vestskolen", "24/00400", "Renoveringen af legepladsen ved Vestskolen koster 600.000 kr.",
         "Godkendt."),
    ]),
    "bsu_2024-04-15.txt": _meeting(COMMITTEE, "15. april 2024", [
        (BIKE, "24/00100", "En ny plan med en dobbeltrettet cykelsti i vejens østside er udarbejdet.",
         "Udvalget sendte planen for cykelstien i høring."),
    ]),
    "bsu_2024-06-10.txt": _meeting(COMMITTEE, "10. juni 2024", [
        (BIKE, "24/00100", "Høringen gav fem svar. Den dobbeltrettede cykelsti koster 3,4 mio. kr.",
         "Godkendt. Cykelstien anlægges for 3,4 mio. kr. i 2025."),
    ]),
    "oeu_2024-06-17.txt": _meeting("Økonomiudvalget", "17. juni 2024", [
        (BIKE, "24/00100", "Børne- og Skoleudvalget anbefaler en dobbeltrettet cykelsti for 3,4 mio. kr.",
         "Økonomiudvalget anbefaler over for Byrådet, at anlægsbevillingen på 3,4 mio. kr. gives."),
    ]),
    "byr_2024-06-24.txt": _meeting("Byrådet", "24. juni 2024", [
        (BIKE, "24/00100", "Økonomiudvalget anbefaler anlægsbevillingen til cykelstien langs Skolevej.",
         "Byrådet gav en anlægsbevilling på 3,4 mio. kr. til cykelstien langs Skolevej."),
    ]),
}  # fmt: skip


def write_meetings(folder: Path) -> list[Path]:
    """The meetings as text files in `folder`; their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in MEETINGS.items():
        (folder / name).write_text(text, encoding="utf-8")
        paths.append(folder / name)
    return paths
