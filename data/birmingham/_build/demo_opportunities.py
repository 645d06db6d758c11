"""Opportunities of the demo hospital (maintainers only; see make_birmingham.py).

Post counts, lots and places are illustrative. Pay values are the midpoints of the
NHS Agenda for Change 2024/25 pay bands (and the 2024/25 resident and specialty
doctor scales), so they are realistic but not the trust's own figures.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

#: Agenda for Change 2024/25: (bottom, top) of each band in £ a year.
AFC_2024: dict[str, tuple[int, int]] = {
    "Band 2": (23_615, 23_615),
    "Band 3": (24_071, 25_674),
    "Band 4": (26_530, 29_114),
    "Band 5": (29_970, 36_483),
    "Band 6": (37_338, 44_962),
    "Band 7": (46_148, 52_809),
    "Band 8a": (53_755, 60_504),
}
#: Medical pay 2024/25 (basic pay): (bottom, top).
MEDICAL_2024: dict[str, tuple[int, int]] = {
    "FY1": (36_616, 36_616),
    "Resident doctor ST1-2": (49_909, 49_909),
    "Specialty doctor": (59_727, 95_400),
}

# title, pay band, posts, skills, sector, pathway
JOBS: tuple[tuple[str, str, int, str, str, str], ...] = (
    (
        "Registered nurse, adult inpatient wards",
        "Band 5",
        160,
        "registered nurse;NMC registered",
        "nursing",
        "overseas_nurse_registration",
    ),
    (
        "Registered nurse, emergency department",
        "Band 5",
        40,
        "registered nurse;NMC registered;emergency care",
        "nursing",
        "overseas_nurse_registration",
    ),
    (
        "Senior staff nurse",
        "Band 6",
        30,
        "registered nurse;specialist nurse;NMC registered",
        "nursing",
        "",
    ),
    (
        "Midwife",
        "Band 6",
        30,
        "midwife;NMC registered",
        "midwifery",
        "overseas_midwife_registration",
    ),
    (
        "Healthcare assistant",
        "Band 3",
        110,
        "healthcare assistant;care certificate;personal care",
        "nursing",
        "apprenticeship",
    ),
    (
        "Healthcare support worker (trainee)",
        "Band 2",
        40,
        "healthcare assistant;personal care",
        "nursing",
        "sector_based_work_academy",
    ),
    ("Foundation doctor (FY1)", "FY1", 18, "doctor;GMC registered", "medical", ""),
    (
        "Resident doctor, internal medicine training (ST1-2)",
        "Resident doctor ST1-2",
        20,
        "doctor;GMC registered",
        "medical",
        "overseas_doctor_plab",
    ),
    (
        "Specialty doctor",
        "Specialty doctor",
        25,
        "doctor;specialist doctor;GMC registered",
        "medical",
        "overseas_doctor_plab",
    ),
    (
        "Rotational pharmacist",
        "Band 6",
        8,
        "pharmacist;GPhC registered",
        "pharmacy",
        "overseas_pharmacist_osp",
    ),
    (
        "Specialist pharmacist",
        "Band 7",
        6,
        "pharmacist;GPhC registered;clinical pharmacist",
        "pharmacy",
        "",
    ),
    ("Pharmacy technician", "Band 5", 8, "pharmacy technician", "pharmacy", "apprenticeship"),
    (
        "Pharmacy assistant",
        "Band 2",
        10,
        "pharmacy assistant;data entry",
        "pharmacy",
        "sector_based_work_academy",
    ),
    (
        "Phlebotomist",
        "Band 3",
        14,
        "phlebotomist;healthcare assistant",
        "clinical support",
        "sector_based_work_academy",
    ),
    (
        "Hospital porter",
        "Band 2",
        45,
        "hospital porter;manual handling",
        "facilities",
        "sector_based_work_academy",
    ),
    (
        "Domestic assistant (cleaner)",
        "Band 2",
        85,
        "cleaning;infection control cleaning",
        "facilities",
        "sector_based_work_academy",
    ),
    ("Domestic supervisor", "Band 3", 8, "cleaning supervisor;cleaning", "facilities", ""),
    (
        "Catering assistant",
        "Band 2",
        40,
        "kitchen assistant;catering;food hygiene level 2",
        "catering",
        "sector_based_work_academy",
    ),
    ("Cook", "Band 3", 12, "cook;catering;food hygiene level 3", "catering", ""),
    ("Security officer", "Band 3", 22, "security;SIA licence;CCTV", "security", ""),
    (
        "Patient transport driver",
        "Band 3",
        16,
        "driver;patient transport;full driving licence",
        "transport",
        "",
    ),
    (
        "Administrator and receptionist",
        "Band 3",
        55,
        "administration;receptionist;customer service",
        "admin",
        "apprenticeship",
    ),
    ("Medical secretary", "Band 4", 30, "medical secretary;administration", "admin", ""),
    (
        "Ward clerk",
        "Band 2",
        25,
        "medical secretary;data entry;receptionist",
        "admin",
        "sector_based_work_academy",
    ),
    (
        "IT service desk analyst",
        "Band 4",
        10,
        "IT support;customer service",
        "IT",
        "apprenticeship",
    ),
    ("IT network engineer", "Band 6", 4, "IT networks;IT support", "IT", ""),
    (
        "Estates electrician",
        "Band 5",
        8,
        "electrician;18th edition wiring regulations;building maintenance",
        "estates",
        "apprenticeship",
    ),
    (
        "Estates plumber",
        "Band 4",
        6,
        "plumber;heating engineer;building maintenance",
        "estates",
        "",
    ),
    ("Laundry and linen assistant", "Band 2", 12, "laundry;linen services", "facilities", ""),
    (
        "Interpreter, community languages",
        "Band 4",
        8,
        "interpreting;Punjabi;Urdu;Bengali;Somali;Arabic;Polish",
        "patient services",
        "",
    ),
    ("Grounds maintenance operative", "Band 2", 4, "grounds maintenance;gardening", "estates", ""),
)

# title, sector, value £ (whole term), skills, term in years
CONTRACTS: tuple[tuple[str, str, int, str, int], ...] = (
    (
        "Patient catering: cook-chill meals and ward service",
        "catering",
        2_400_000,
        "catering;patient catering;food hygiene level 3;cook chill",
        3,
    ),
    (
        "Staff restaurant and public café",
        "catering",
        850_000,
        "catering;cook;food hygiene level 3;barista",
        3,
    ),
    (
        "Hospitality and event catering framework",
        "catering",
        120_000,
        "catering;event management",
        2,
    ),
    (
        "Domestic cleaning of non-clinical areas",
        "cleaning",
        1_600_000,
        "cleaning;industrial cleaning;infection control cleaning;COSHH",
        3,
    ),
    ("Window and deep cleaning", "cleaning", 180_000, "window cleaning;industrial cleaning", 2),
    (
        "Linen and laundry service",
        "laundry",
        950_000,
        "laundry;linen services;infection control cleaning",
        3,
    ),
    ("Uniform alterations and repairs", "laundry", 60_000, "textiles and sewing;laundry", 2),
    (
        "Security guarding and CCTV monitoring",
        "security",
        720_000,
        "security;SIA licence;CCTV;manned guarding",
        3,
    ),
    (
        "Non-emergency patient transport",
        "transport",
        1_200_000,
        "patient transport;minibus driver;wheelchair accessible vehicles",
        3,
    ),
    ("Staff shuttle minibus", "transport", 260_000, "minibus driver;PCV", 2),
    (
        "Soft facilities management: helpdesk, post room and porter cover",
        "facilities management",
        480_000,
        "facilities management;hospital porter;building maintenance",
        3,
    ),
    (
        "Grounds maintenance and landscaping",
        "grounds maintenance",
        140_000,
        "grounds maintenance;gardening",
        3,
    ),
    (
        "IT device deployment and refurbishment",
        "IT",
        300_000,
        "IT support;device refurbishment;IT networks",
        2,
    ),
    (
        "Minor works and building maintenance framework",
        "construction",
        600_000,
        "construction;building maintenance;refurbishment;CSCS card",
        3,
    ),
    (
        "Electrical maintenance and testing",
        "construction",
        250_000,
        "electrician;18th edition wiring regulations",
        3,
    ),
    ("Non-clinical waste and recycling", "waste", 200_000, "waste management;recycling", 3),
    (
        "Interpreting and translation",
        "interpreting",
        380_000,
        "interpreting;translation;Punjabi;Urdu;Bengali;Somali",
        3,
    ),
    (
        "Community health promotion and social prescribing",
        "health and care",
        90_000,
        "health promotion;social prescribing",
        2,
    ),
    (
        "Printing and wayfinding signage",
        "printing and design",
        70_000,
        "printing;signage;graphic design",
        2,
    ),
)

# title, places, skills, pathway, provider postcode ("" = at the hospital)
TRAINING: tuple[tuple[str, int, str, str, str], ...] = (
    (
        "NMC OSCE preparation course",
        40,
        "registered nurse;overseas nursing qualification;OSCE",
        "overseas_nurse_registration",
        "",
    ),
    (
        "NMC CBT and English test (IELTS/OET) preparation",
        30,
        "overseas nursing qualification;English language test (IELTS / OET)",
        "overseas_nurse_registration",
        "",
    ),
    (
        "PLAB 2 support and clinical attachment",
        20,
        "doctor;overseas medical qualification;PLAB",
        "overseas_doctor_plab",
        "",
    ),
    (
        "Overseas pharmacist assessment (OSPAP) bridging support",
        8,
        "pharmacist;overseas pharmacy qualification",
        "overseas_pharmacist_osp",
        "B4 7ET",
    ),
    (
        "Overseas midwives' registration programme",
        10,
        "midwife;overseas midwifery qualification",
        "overseas_midwife_registration",
        "B4 7XG",
    ),
    (
        "Food hygiene level 2",
        60,
        "food hygiene level 2;catering",
        "sector_based_work_academy",
        "B70 6AW",
    ),
    (
        "SIA door supervisor licence course",
        30,
        "security;SIA licence",
        "sector_based_work_academy",
        "B70 6AW",
    ),
    (
        "English for speakers of other languages (ESOL) for health and care",
        80,
        "English language;ESOL",
        "sector_based_work_academy",
        "B70 6AW",
    ),
    (
        "Healthcare support worker apprenticeship (level 3)",
        30,
        "healthcare assistant;care certificate",
        "apprenticeship",
        "",
    ),
    ("IT technician apprenticeship", 6, "IT support;digital skills", "apprenticeship", ""),
    (
        "Electrical installation apprenticeship",
        4,
        "electrician;construction",
        "apprenticeship",
        "B70 6AW",
    ),
    (
        "Minibus (D1 / MiDAS) driver training",
        15,
        "minibus driver;driver",
        "sector_based_work_academy",
        "",
    ),
)

# title, places, skills
VOLUNTEERING: tuple[tuple[str, int, str], ...] = (
    ("Ward volunteers (mealtime help and befriending)", 60, "volunteering;befriending"),
    (
        "Wayfinding guides in the main entrance",
        30,
        "volunteering;customer service;community languages",
    ),
    ("Chaplaincy and faith volunteers", 12, "volunteering;befriending;community languages"),
    ("Community health champions", 25, "health promotion;volunteering;community languages"),
    ("Hospital garden volunteers", 15, "gardening;volunteering"),
)

# title, rooms or sessions, skills (what the venue needs), description
SPACES: tuple[tuple[str, int, str, str], ...] = (
    (
        "Recruitment day venue (hall for 80 people)",
        6,
        "meeting room;accessible;wifi",
        "The trust wants to hold recruitment days in the neighbourhoods; "
        "a community venue can host them.",
    ),
    (
        "Training room for OSCE practice sessions",
        2,
        "training room;wifi;accessible",
        "A room for weekly clinical-skills practice near where candidates live.",
    ),
    (
        "Community kitchen for catering trials",
        1,
        "kitchen;food hygiene level 3",
        "Local caterers cook trial menus for the patient catering lot.",
    ),
    (
        "ESOL classroom",
        3,
        "training room;accessible",
        "Rooms for ESOL classes run with Sandwell College.",
    ),
    (
        "Job-seekers' drop-in space",
        4,
        "meeting room;wifi",
        "Weekly drop-in where the trust's careers team meets residents.",
    ),
    (
        "Growing space for the staff and patient garden project",
        1,
        "outdoor space;gardening",
        "Land or allotment near the hospital for a therapeutic garden.",
    ),
)


def _midpoint(band: str) -> int:
    lo, hi = AFC_2024.get(band) or MEDICAL_2024[band]
    return round((lo + hi) / 2)


def build_opportunities(
    rng: random.Random, project: dict[str, Any], postcodes: Any
) -> list[dict[str, object]]:
    """Return the rows of ``project``: jobs, contracts, training, volunteering and spaces."""
    rows: list[dict[str, object]] = []
    prov = {
        "source": "cwb demo (illustrative)",
        "collected_by": "cwb maintainers",
        "collected_on": "2025-01-15",
        "licence": "CC0-1.0",
        "last_verified": "2025-01-15",
    }

    def add(**fields: object) -> None:
        rows.append({"id": f"O{len(rows) + 1:03d}", "project": project["id"], **fields, **prov})

    for title, band, posts, skills, sector, pathway in JOBS:
        lo, hi = AFC_2024.get(band) or MEDICAL_2024[band]
        scale = "Agenda for Change" if band in AFC_2024 else "medical and dental"
        add(
            type="job",
            title=f"{title} ({band})" if band.startswith("Band") else title,
            skills=skills,
            sector=sector,
            quantity=posts,
            value=_midpoint(band),
            pay_band=band,
            starts=f"2025-{rng.randint(4, 9):02d}-01",
            pathway=pathway,
            description=f"Posts: illustrative. Pay: midpoint of {band} (£{lo:,}–£{hi:,}), "
            f"NHS {scale} 2024/25.",
        )
    for title, sector, value, skills, years in CONTRACTS:
        start = f"2025-{rng.choice([4, 7, 10]):02d}-01"
        ends = _last_day_before(start, years)
        add(
            type="contract",
            title=title,
            skills=skills,
            sector=sector,
            quantity=1,
            value=value,
            starts=start,
            ends=ends,
            description=f"Illustrative procurement lot, £{value:,} over {years} years."
            + (
                " Larger than any single local firm can take: a consortium could."
                if value >= 1_000_000
                else ""
            ),
        )
    for title, places, skills, pathway, postcode in TRAINING:
        add(
            type="training",
            title=title,
            skills=skills,
            quantity=places,
            pathway=pathway,
            starts=f"2025-{rng.randint(4, 9):02d}-01",
            postcode=postcodes.use(postcode) if postcode else "",
            description="Illustrative training places linked to the hospital's recruitment.",
        )
    for title, places, skills in VOLUNTEERING:
        add(
            type="volunteering",
            title=title,
            skills=skills,
            quantity=places,
            starts="2025-04-01",
            description="Illustrative volunteering roles at the hospital.",
        )
    for title, rooms, skills, description in SPACES:
        add(
            type="space",
            title=title,
            skills=skills,
            quantity=rooms,
            starts="2025-04-01",
            description=description + " (illustrative)",
        )
    return rows


def _last_day_before(start: str, years: int) -> str:
    d = dt.date.fromisoformat(start)
    return (d.replace(year=d.year + years) - dt.timedelta(days=1)).isoformat()
