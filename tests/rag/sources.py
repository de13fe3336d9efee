"""Two agenda items of the KD-Net minutes of 22 January 2021, as the answer layer sees them: shared by the
answer and check tests."""

from rag.citations import Source

MIDTTRAFIK = Source(
    doc_id="003",
    number="6",
    title="Midttrafiks indtægtsfordelingsmodel",
    body="KD-Net",
    date="2021-01-22",
    text="Modellen giver Region Midtjylland et årligt plus på ca. 30 mio. kr. KD-Net godkendte processen og "
    "den foreslåede indfasning af modellen over tre år. Regionsrådet ønsker, at modellen indføres hurtigst muligt.",
    decision=("KD-Net godkendte processen og den foreslåede indfasning af modellen over tre år.",),
    outcome="godkendt",
    excerpts=("Modellen giver Region Midtjylland et årligt plus på ca. 30 mio. kr.",),
    similarity=0.9,
)
GOVTECH = Source(
    doc_id="003",
    number="16",
    title="Godkendelse af kommissorium for GovTech Midtjylland",
    body="KD-Net",
    date="2021-01-22",
    text="KD-Net godkendte kommissoriet for GovTech Midtjylland.",
    decision=("KD-Net godkendte kommissoriet.",),
    outcome="godkendt",
    excerpts=("KD-Net godkendte kommissoriet for GovTech Midtjylland.",),
    similarity=0.85,
)
SOURCES = [MIDTTRAFIK, GOVTECH]
