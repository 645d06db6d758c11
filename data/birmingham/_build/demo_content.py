"""Word lists for the illustrative parts of the Birmingham demo (maintainers only).

Everything here is invented for the demo except where a comment says it is a
real public place or body. Skills use the labels of ``cwb/resources/skills.csv``
so that assets and opportunities speak the same vocabulary.
"""

from __future__ import annotations

#: The wards of the demo: (ward22 name, local authority). Real ONS wards (Dec 2022).
WARDS: tuple[tuple[str, str], ...] = (
    ("Soho and Victoria", "Sandwell"),
    ("St Pauls", "Sandwell"),
    ("Smethwick", "Sandwell"),
    ("Abbey", "Sandwell"),
    ("Bristnall", "Sandwell"),
    ("Soho & Jewellery Quarter", "Birmingham"),
    ("North Edgbaston", "Birmingham"),
    ("Ladywood", "Birmingham"),
    ("Holyhead", "Birmingham"),
    ("Handsworth", "Birmingham"),
    ("Lozells", "Birmingham"),
    ("Birchfield", "Birmingham"),
    ("Newtown", "Birmingham"),
    ("Edgbaston", "Birmingham"),
)

#: Local place names used to build invented organisation names, per ward.
PLACES: dict[str, tuple[str, ...]] = {
    "Soho and Victoria": (
        "Cape Hill",
        "Windmill Lane",
        "Grove Lane",
        "Victoria Park",
        "Soho Foundry",
    ),
    "St Pauls": ("Galton", "Rolfe Street", "Spon Lane", "Oldbury Road", "Brasshouse"),
    "Smethwick": ("Smethwick", "High Street", "Uplands", "Stoney Lane", "Londonderry"),
    "Abbey": ("Bearwood", "Lightwoods", "Thimblemill", "Abbey Road", "Three Shires"),
    "Bristnall": ("Bristnall", "Warley", "Brandhall", "Castle Road", "Hurst Road"),
    "Soho & Jewellery Quarter": (
        "Jewellery Quarter",
        "Hockley",
        "Spring Hill",
        "Vyse Street",
        "Icknield",
    ),
    "North Edgbaston": ("Rotton Park", "Reservoir", "Summerfield", "City Road", "Gillott"),
    "Ladywood": ("Ladywood", "Five Ways", "Brindley", "Attwood Green", "St Vincent"),
    "Holyhead": ("Holyhead", "Hamstead Road", "Booth Street", "Putney", "Rookery"),
    "Handsworth": ("Handsworth", "Soho Road", "Villa Road", "Grove Lane Handsworth", "Park Road"),
    "Lozells": ("Lozells", "Wheeler Street", "Barker Street", "Heathfield", "Anglesey"),
    "Birchfield": ("Birchfield", "Perry Barr", "Trinity Road", "Wellington Road", "Aston Lane"),
    "Newtown": ("Newtown", "Summer Lane", "New John Street", "Hospital Street", "Farm Street"),
    "Edgbaston": ("Edgbaston", "Calthorpe", "Harborne Road", "Chad Valley", "Westbourne"),
}

#: Place names for the few firms just outside the wards (West Bromwich, B70/B71).
WEST_BROMWICH_PLACES: tuple[str, ...] = (
    "West Bromwich",
    "Carters Green",
    "Greets Green",
    "Black Lake",
    "Lyng",
)

#: Residents' skills groups: key, label, skills, (min, max) count, and the ward names where
#: the group is more common (weight 3 rather than 1).
HUMAN_PROFILES: tuple[tuple[str, str, str, tuple[int, int]], ...] = (
    (
        "nurse",
        "Overseas-qualified nurses",
        "registered nurse;overseas nursing qualification;NMC registration support needed",
        (4, 35),
    ),
    (
        "nurse_cbt",
        "Overseas-qualified nurses who have passed the NMC CBT",
        "registered nurse;overseas nursing qualification;"
        "NMC test of competence part 1 (CBT);OSCE preparation needed",
        (3, 14),
    ),
    ("doctor", "Overseas-qualified doctors", "doctor;overseas medical qualification;PLAB", (3, 15)),
    (
        "pharmacist",
        "Overseas-qualified pharmacists",
        "pharmacist;overseas pharmacy qualification;GPhC registration support needed",
        (3, 10),
    ),
    (
        "midwife",
        "Overseas-qualified midwives",
        "midwife;overseas midwifery qualification;NMC registration support needed",
        (3, 10),
    ),
    (
        "pharmtech",
        "Pharmacy technicians and dispensers",
        "pharmacy technician;pharmacy assistant;data entry",
        (3, 12),
    ),
    (
        "phlebotomy",
        "Phlebotomists and clinical support workers",
        "phlebotomist;healthcare assistant;first aid",
        (3, 12),
    ),
    (
        "hca",
        "Healthcare assistants and former carers",
        "healthcare assistant;care certificate;personal care;manual handling",
        (6, 40),
    ),
    ("care", "Care workers", "care worker;personal care;domiciliary care;safeguarding", (6, 40)),
    ("cook", "Cooks and chefs", "cook;chef;catering;food hygiene level 2;halal", (4, 30)),
    (
        "kitchen",
        "Kitchen and catering assistants",
        "kitchen assistant;catering;food hygiene level 2",
        (4, 30),
    ),
    ("cleaner", "Cleaners", "cleaning;infection control cleaning;COSHH", (6, 40)),
    ("laundry", "Laundry and linen workers", "laundry;linen services;ironing", (3, 15)),
    (
        "driver",
        "Drivers with full UK licences",
        "driver;full driving licence;minibus driver;patient transport;community languages",
        (4, 30),
    ),
    ("security", "Security officers", "security;SIA licence;CCTV", (3, 25)),
    (
        "builder",
        "Builders and labourers",
        "construction;bricklayer;construction labourer;CSCS card",
        (4, 30),
    ),
    (
        "electrician",
        "Electricians",
        "electrician;18th edition wiring regulations;CSCS card",
        (3, 12),
    ),
    ("plumber", "Plumbers and heating engineers", "plumber;gas safe;heating engineer", (3, 12)),
    ("it", "IT support and digital workers", "IT support;IT networks;digital skills", (3, 20)),
    (
        "admin",
        "Administrators and receptionists",
        "administration;receptionist;data entry;customer service",
        (6, 40),
    ),
    (
        "medsec",
        "Medical secretaries and ward clerks",
        "medical secretary;administration;data entry",
        (3, 12),
    ),
    (
        "porter",
        "Porters and warehouse workers",
        "hospital porter;manual handling;logistics and warehousing",
        (3, 20),
    ),
    ("grounds", "Gardeners and grounds workers", "grounds maintenance;gardening", (3, 12)),
    ("childcare", "Childminders and nursery workers", "childcare;safeguarding;first aid", (3, 15)),
)

#: Profiles that are more common in each ward (a USE-IT!-style finding: overseas-qualified
#: health workers cluster in Smethwick, Soho and Handsworth).
HUMAN_HOTSPOTS: dict[str, tuple[str, ...]] = {
    "Soho and Victoria": ("nurse", "nurse_cbt", "doctor", "cook", "driver"),
    "St Pauls": ("nurse", "hca", "cleaner", "driver"),
    "Smethwick": ("nurse", "pharmacist", "cook", "builder"),
    "Abbey": ("admin", "it", "electrician"),
    "Bristnall": ("care", "driver", "builder"),
    "Soho & Jewellery Quarter": ("it", "admin", "doctor"),
    "North Edgbaston": ("nurse", "midwife", "doctor", "cleaner"),
    "Ladywood": ("nurse", "cleaner", "security", "kitchen"),
    "Holyhead": ("nurse_cbt", "hca", "driver"),
    "Handsworth": ("nurse", "doctor", "pharmacist", "cook"),
    "Lozells": ("nurse", "midwife", "cook", "kitchen"),
    "Birchfield": ("care", "security", "porter"),
    "Newtown": ("cleaner", "security", "kitchen"),
    "Edgbaston": ("doctor", "pharmacist", "it"),
}

#: Community languages per local authority side, for interpreter groups.
LANGUAGES: dict[str, tuple[str, ...]] = {
    "Sandwell": ("Punjabi", "Urdu", "Polish", "Romanian", "Kurdish"),
    "Birmingham": ("Bengali", "Urdu", "Somali", "Arabic", "Punjabi", "Tigrinya"),
}

#: Enterprise sectors: sector, name nouns, skills variants, capacity range (£) of the largest
#: contract one firm could take. The caps keep each sector's largest firm below the big lots.
SECTORS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[int, int]]] = {
    "catering": (
        ("Catering", "Kitchen", "Kitchens", "Foods", "Tiffin", "Lunch Company"),
        (
            "catering;cook;food hygiene level 3;halal",
            "catering;event management;food hygiene level 2",
            "catering;patient catering;food hygiene level 3;cook chill",
            "catering;chef;vegetarian;food hygiene level 3",
            "catering;baker;food hygiene level 2",
        ),
        (20_000, 420_000),
    ),
    "cleaning": (
        ("Cleaning Services", "Cleaners", "Hygiene", "Clean Team", "Domestic Services"),
        (
            "cleaning;industrial cleaning;infection control cleaning;COSHH",
            "cleaning;window cleaning;COSHH",
            "cleaning;office cleaning;cleaning supervisor",
        ),
        (20_000, 450_000),
    ),
    "laundry": (
        ("Laundry", "Linen Services", "Launderette", "Laundry Works"),
        (
            "laundry;linen services;infection control cleaning",
            "laundry;dry cleaning;ironing;textiles and sewing",
        ),
        (20_000, 260_000),
    ),
    "construction": (
        (
            "Builders",
            "Construction",
            "Building Services",
            "Electrical",
            "Plumbing & Heating",
            "Roofing",
            "Joinery",
            "Decorators",
        ),
        (
            "construction;bricklayer;carpenter;CSCS card",
            "construction;refurbishment;building maintenance;CSCS card",
            "electrician;18th edition wiring regulations;building maintenance",
            "plumber;gas safe;heating engineer;building maintenance",
            "roofer;scaffolder;CSCS card",
            "carpenter;joinery;floorer and tiler",
            "painter and decorator;plasterer",
        ),
        (30_000, 2_000_000),
    ),
    "security": (
        ("Security", "Guarding", "Protection Services", "Security Solutions"),
        (
            "security;SIA licence;CCTV;manned guarding",
            "security;door supervisor;SIA licence;first aid",
            "security system installation;CCTV installation;access control",
        ),
        (20_000, 350_000),
    ),
    "transport": (
        ("Travel", "Cars", "Transport", "Couriers", "Minibus Services", "Community Transport"),
        (
            "driver;patient transport;minibus driver;wheelchair accessible vehicles",
            "delivery driver;courier;logistics and warehousing",
            "minibus driver;PCV;community transport",
            "HGV driver;logistics and warehousing",
        ),
        (20_000, 300_000),
    ),
    "facilities management": (
        ("Facilities", "Property Services", "Estates Services", "Maintenance"),
        (
            "facilities management;building maintenance;cleaning;hospital porter",
            "facilities management;caretaker;building maintenance;pest control",
            "building maintenance;handyman;painter and decorator",
        ),
        (40_000, 800_000),
    ),
    "IT": (
        ("IT", "Digital", "Tech", "Computer Services", "Web Studio", "Data"),
        (
            "IT support;IT networks;Microsoft 365",
            "IT support;device refurbishment;recycling",
            "software development;web development;data entry",
            "IT networks;data cabling;IT support",
        ),
        (20_000, 300_000),
    ),
    "grounds maintenance": (
        ("Gardens", "Landscapes", "Grounds Care", "Green Spaces"),
        ("grounds maintenance;gardening;tree surgery", "gardening;landscaping;grounds maintenance"),
        (20_000, 160_000),
    ),
    "waste": (
        ("Recycling", "Waste Services", "Reuse"),
        (
            "waste management;recycling;clinical waste",
            "recycling;repair and reuse;furniture making and repair",
        ),
        (30_000, 300_000),
    ),
    "interpreting": (
        ("Language Services", "Interpreting", "Translations"),
        (
            "interpreting;translation;Punjabi;Urdu;Bengali",
            "interpreting;Arabic;Somali;Tigrinya",
            "interpreting;Polish;Romanian;BSL interpreter",
        ),
        (20_000, 150_000),
    ),
    "health and care": (
        ("Home Care", "Care Services", "Care Agency", "Health Trainers"),
        (
            "care worker;domiciliary care;personal care;care certificate",
            "healthcare assistant;care worker;safeguarding",
            "health promotion;social prescribing;health trainer",
        ),
        (40_000, 500_000),
    ),
    "printing and design": (
        ("Print", "Signs", "Design Studio"),
        (
            "printing;marketing and communications;graphic design",
            "printing;signage;textiles and sewing;uniforms",
        ),
        (20_000, 120_000),
    ),
    "professional services": (
        ("Accountants", "Training", "Recruitment", "Consulting"),
        (
            "accountancy;finance administration;payroll",
            "teaching and training delivery;ESOL;employment support",
            "HR administration;recruitment;advice and guidance",
        ),
        (20_000, 200_000),
    ),
}

#: How many enterprises of each sector the demo invents.
SECTOR_COUNTS: dict[str, int] = {
    "catering": 16,
    "cleaning": 12,
    "laundry": 6,
    "construction": 18,
    "security": 8,
    "transport": 10,
    "facilities management": 8,
    "IT": 10,
    "grounds maintenance": 5,
    "waste": 4,
    "interpreting": 5,
    "health and care": 7,
    "printing and design": 4,
    "professional services": 6,
}

#: Real anchor institutions (public bodies and universities) at their real postcodes.
ANCHORS: tuple[tuple[str, str, str, str, str], ...] = (
    # name, postcode, sector, skills, description
    (
        "Sandwell and West Birmingham NHS Trust",
        "B66 2QT",
        "health",
        "hospital;employer;procurement",
        "Runs Midland Metropolitan University Hospital (opened October 2024).",
    ),
    (
        "Sandwell Metropolitan Borough Council",
        "B69 3DE",
        "local government",
        "employer;procurement;community grants",
        "Council House, Oldbury.",
    ),
    (
        "Birmingham City Council",
        "B1 1BB",
        "local government",
        "employer;procurement;community grants",
        "Council House, Victoria Square.",
    ),
    (
        "University of Birmingham",
        "B15 2TT",
        "higher education",
        "employer;procurement;research;teaching and training delivery",
        "Edgbaston campus.",
    ),
    (
        "Aston University",
        "B4 7ET",
        "higher education",
        "employer;procurement;teaching and training delivery",
        "Aston Triangle.",
    ),
    (
        "Birmingham City University",
        "B4 7XG",
        "higher education",
        "employer;nursing education;midwifery education;teaching and training delivery",
        "City Centre campus.",
    ),
    (
        "Sandwell College",
        "B70 6AW",
        "further education",
        "teaching and training delivery;ESOL;apprenticeships",
        "Central campus, West Bromwich.",
    ),
    (
        "West Midlands Combined Authority",
        "B19 3SD",
        "local government",
        "adult skills funding;employment support",
        "16 Summer Lane.",
    ),
)

#: Invented funders and investment vehicles: name, category, sector, skills, capacity (£).
FUNDERS: tuple[tuple[str, str, str, str, int], ...] = (
    (
        "Soho Vale Community Trust",
        "funder",
        "grant making",
        "small grants;community development",
        150_000,
    ),
    ("Cape Hill Small Grants Fund", "funder", "grant making", "small grants", 40_000),
    ("Ladywood Neighbourhood Fund", "funder", "grant making", "small grants;youth work", 60_000),
    ("Handsworth Heritage Foundation", "funder", "grant making", "grants;heritage", 90_000),
    (
        "West Birmingham Health Inequalities Fund",
        "funder",
        "grant making",
        "grants;health promotion;social prescribing",
        250_000,
    ),
    (
        "Smethwick Enterprise Loan Fund",
        "investment",
        "social investment",
        "loans;business support",
        500_000,
    ),
    (
        "Black Country Community Shares Pool",
        "investment",
        "social investment",
        "community shares",
        300_000,
    ),
    (
        "Jewellery Quarter Social Investment Partnership",
        "investment",
        "social investment",
        "loans;social investment",
        750_000,
    ),
    ("Soho Road Traders' Mutual Fund", "funder", "grant making", "small grants;retail", 30_000),
)

#: Community group templates per category: name pattern, sector, skills.
COMMUNITY: dict[str, tuple[tuple[str, str, str], ...]] = {
    "voluntary_group": (
        ("{place} Community Gardeners", "environment", "gardening;volunteering;outdoor space"),
        ("{place} Litter Pickers", "environment", "volunteering;recycling"),
        ("{place} Women's Walking Group", "health", "health promotion;volunteering"),
        ("{place} Youth Football Club", "sport", "fitness and sport;youth work;volunteering"),
        ("{place} Lunch Club", "older people", "catering;befriending;volunteering"),
        ("{place} Men's Shed", "older people", "carpentry;repair and reuse;volunteering"),
        (
            "{place} Homework Club",
            "education",
            "teaching and training delivery;youth work;volunteering",
        ),
        ("{place} Repair Café", "environment", "repair and reuse;electrician;volunteering"),
        ("{place} Community Choir", "arts", "volunteering;event management"),
        ("{place} Cricket Club", "sport", "fitness and sport;youth work"),
    ),
    "faith_group": (
        (
            "{place} Gurdwara Seva Committee",
            "faith",
            "community kitchen;catering;volunteering;Punjabi",
        ),
        ("{place} Masjid Community Trust", "faith", "advice and guidance;volunteering;Urdu;Arabic"),
        ("{place} Baptist Church", "faith", "food bank;volunteering;befriending"),
        ("{place} Pentecostal Fellowship", "faith", "volunteering;youth work;community choir"),
        ("{place} Methodist Church Friends", "faith", "volunteering;lunch club;meeting room"),
        ("{place} Hindu Mandir Association", "faith", "volunteering;catering;Gujarati;Punjabi"),
        (
            "{place} Catholic Parish Social Action",
            "faith",
            "volunteering;advice and guidance;Polish",
        ),
        (
            "{place} Islamic Education Centre",
            "faith",
            "teaching and training delivery;Arabic;Somali",
        ),
        ("{place} Ethiopian Orthodox Congregation", "faith", "volunteering;Tigrinya;Amharic"),
    ),
    "tenants_association": (
        (
            "{place} Tenants and Residents Association",
            "housing",
            "community development;volunteering",
        ),
        ("{place} Estate Residents' Forum", "housing", "community development;advice and guidance"),
        ("{place} Tower Blocks Residents Group", "housing", "community development;volunteering"),
    ),
    "charity": (
        (
            "{place} Refugee Welcome",
            "refugees",
            "advice and guidance;ESOL;interpreting;Arabic;Tigrinya",
        ),
        ("{place} Advice Centre", "advice", "advice and guidance;welfare benefits;debt advice"),
        ("{place} Foodbank", "food", "food bank;volunteering;logistics and warehousing"),
        ("{place} Carers' Support", "care", "care worker;befriending;advice and guidance"),
        (
            "{place} Somali Community Association",
            "community",
            "interpreting;Somali;advice and guidance",
        ),
        ("{place} Polish Community Trust", "community", "interpreting;Polish;advice and guidance"),
        ("{place} Bangladeshi Women's Association", "community", "ESOL;Bengali;childcare;sewing"),
        (
            "{place} Employment & Skills Hub",
            "employment",
            "employment support;CV writing;ESOL;job club",
        ),
        (
            "{place} Overseas Nurses Support Project",
            "health workforce",
            "NMC registration support;OSCE preparation;"
            "English language test (IELTS / OET);mentoring",
        ),
        ("{place} Young People's Trust", "youth", "youth work;mentoring;fitness and sport"),
    ),
    "network": (
        ("{place} Business Network", "business", "business support;networking"),
        ("{place} Traders Association", "retail", "retail;business support"),
        (
            "{place} Social Enterprise Network",
            "social economy",
            "business support;social investment",
        ),
        (
            "{place} Community Health Champions",
            "health",
            "health promotion;social prescribing;volunteering",
        ),
        ("{place} Faith Leaders Forum", "faith", "community development;interpreting"),
    ),
    "service": (
        ("{place} Job Club", "employment", "employment support;CV writing;digital skills"),
        (
            "{place} ESOL Classes",
            "education",
            "ESOL;English language;teaching and training delivery",
        ),
        (
            "{place} Digital Inclusion Drop-in",
            "education",
            "digital skills;IT support;volunteering",
        ),
        ("{place} Benefits Advice Surgery", "advice", "advice and guidance;welfare benefits"),
        ("{place} Food Pantry", "food", "food bank;volunteering"),
        ("{place} Dial-a-Ride", "transport", "minibus driver;community transport;accessible"),
        ("{place} Health Trainers", "health", "health promotion;social prescribing"),
    ),
}

#: Invented physical assets per category: name pattern, skills (facilities), floor area range (m²).
PHYSICAL: dict[str, tuple[tuple[str, str, tuple[int, int]], ...]] = {
    "community_centre": (
        ("{place} Community Centre", "meeting room;kitchen;wifi;accessible;parking", (250, 900)),
        ("{place} Neighbourhood Hall", "meeting room;kitchen;accessible", (150, 500)),
        (
            "{place} Family Centre",
            "meeting room;training room;childcare;accessible;wifi",
            (200, 600),
        ),
    ),
    "vacant_building": (
        ("Former bank, {place}", "office space;accessible", (150, 450)),
        ("Former public house, {place}", "meeting room;kitchen;storage space", (200, 600)),
        ("Empty shop units, {place}", "retail;storage space", (80, 300)),
        ("Former factory, {place}", "storage space;parking", (800, 4_000)),
        ("Former clinic, {place}", "training room;accessible;parking", (300, 900)),
        ("Former council depot, {place}", "storage space;parking;outdoor space", (500, 2_500)),
    ),
    "place_of_worship": (
        ("{place} Gurdwara", "kitchen;meeting room;prayer room;parking", (400, 2_000)),
        ("{place} Mosque", "meeting room;prayer room;training room", (300, 1_800)),
        ("{place} Church Hall", "meeting room;kitchen;accessible", (150, 600)),
        ("{place} Mandir", "meeting room;kitchen;prayer room", (300, 1_200)),
    ),
    "sports_facility": (
        (
            "{place} Community Sports Hub",
            "sports hall;meeting room;parking;accessible",
            (600, 2_500),
        ),
        ("{place} Boxing Gym", "sports hall;fitness and sport", (150, 400)),
        ("{place} Playing Fields", "outdoor space;sports hall;parking", (8_000, 30_000)),
    ),
    "education_facility": (
        ("{place} Adult Learning Centre", "training room;IT suite;wifi;accessible", (300, 1_200)),
        ("{place} Skills and Training Centre", "training room;kitchen;IT suite;wifi", (400, 1_500)),
        ("{place} Children's Centre", "meeting room;childcare;outdoor space", (200, 600)),
    ),
    "shop": (
        ("{place} Halal Butcher", "retail;food hygiene level 2", (60, 200)),
        ("{place} Asian Grocers", "retail", (80, 300)),
        ("{place} Polish Delicatessen", "retail;Polish", (50, 150)),
        ("{place} Community Pharmacy", "pharmacy;retail", (80, 200)),
        ("{place} Charity Shop", "retail;volunteering", (60, 200)),
        ("{place} Sari and Fabric House", "retail;textiles and sewing", (80, 250)),
    ),
    "building": (
        ("{place} Enterprise Centre", "office space;meeting room;wifi;parking", (500, 2_500)),
        ("{place} Workshop Units", "storage space;parking;workshop", (300, 1_500)),
        ("{place} Canal-side Warehouse", "storage space;workshop", (600, 3_000)),
        ("{place} Community Kitchen", "kitchen;food hygiene level 3;training room", (100, 300)),
    ),
    "land": (
        ("Vacant plot, {place}", "outdoor space", (500, 6_000)),
        ("Disused allotment site, {place}", "outdoor space;gardening", (1_000, 5_000)),
        ("Canal-side land, {place}", "outdoor space", (800, 8_000)),
    ),
}

#: Real green spaces near the hospital: name, lat, lon (hand-placed inside the park from
#: public maps, about ±150 m; not surveyed), ward, area m² (approximate).
GREEN_SPACES: tuple[tuple[str, float, float, str, int], ...] = (
    ("Victoria Park, Smethwick", 52.4945, -1.9710, "Smethwick", 70_000),
    ("Black Patch Park", 52.5000, -1.9385, "Soho & Jewellery Quarter", 80_000),
    ("Summerfield Park", 52.4880, -1.9370, "Soho & Jewellery Quarter", 120_000),
    ("Handsworth Park", 52.5085, -1.9225, "Handsworth", 250_000),
    ("Lightwoods Park", 52.4740, -1.9700, "Abbey", 190_000),
    ("Edgbaston Reservoir", 52.4790, -1.9330, "North Edgbaston", 280_000),
    ("St Paul's Square gardens", 52.4855, -1.9055, "Soho & Jewellery Quarter", 8_000),
    ("Warstone Lane Cemetery", 52.4870, -1.9140, "Soho & Jewellery Quarter", 40_000),
    ("Key Hill Cemetery", 52.4915, -1.9110, "Soho & Jewellery Quarter", 45_000),
    ("Birmingham Botanical Gardens", 52.4665, -1.9290, "Edgbaston", 60_000),
    ("Smethwick Hall Park", 52.4960, -1.9815, "Smethwick", 70_000),
)

#: Invented national and regional suppliers for the spend table: name suffix pools.
SUPPLIER_STEMS: tuple[str, ...] = (
    "Harbourline",
    "Northgate Vale",
    "Corvane",
    "Pellmore",
    "Astravale",
    "Brightwell Moor",
    "Kestrelmede",
    "Linthorpe Rise",
    "Orbisfield",
    "Quillon",
    "Redcastle Vale",
    "Silverbank Moor",
    "Thornbury Lea",
    "Umberleigh",
    "Vantara",
    "Wexcombe",
    "Yarrowdale",
    "Zephyrine",
    "Ambervale",
    "Bellcourt Lane",
    "Calderwick",
    "Dunmore Ash",
    "Everleigh Holt",
    "Foxcote",
    "Glenmarrow",
    "Hollinbrook",
    "Ironbridge Vale",
    "Juniper Crest",
    "Kingsmere",
    "Larkspur Fold",
    "Marchmont Dale",
    "Netherby Cross",
    "Oakhurst Fen",
    "Pinecroft",
    "Ravensholt",
    "Stonechat",
    "Tarnside",
    "Wrenfield",
    "Ashdown Weir",
    "Birchmead Row",
    "Coldharbour Mill",
    "Drayford",
    "Elmstead Ridge",
    "Fernhill Gate",
    "Greystoke Park",
    "Hawksmoor Lane",
)

#: Spend sectors of non-local suppliers: sector, name noun, size of a typical invoice (£ median).
NATIONAL_SECTORS: tuple[tuple[str, str, int], ...] = (
    ("medical supplies", "Medical Supplies", 9_000),
    ("pharmaceuticals", "Pharma", 14_000),
    ("agency staffing", "Healthcare Staffing", 11_000),
    ("energy", "Energy", 25_000),
    ("IT", "Systems", 12_000),
    ("facilities management", "Facilities Group", 18_000),
    ("catering", "Contract Catering", 10_000),
    ("cleaning", "Cleaning Group", 8_000),
    ("construction", "Construction", 30_000),
    ("professional services", "Consulting", 9_000),
    ("laundry", "Textile Services", 7_000),
    ("security", "Security Group", 6_000),
    ("transport", "Patient Transport", 8_000),
    ("waste", "Environmental Services", 6_000),
)

#: Postcodes outside the West Midlands for national suppliers. NOT from the realdata file:
#: real postcodes of well-known central addresses with hand-entered, approximate (±500 m) centroids.
OUTSIDE_POSTCODES: tuple[tuple[str, float, float, str], ...] = (
    ("E14 5AB", 51.5049, -0.0195, "London (Canary Wharf)"),
    ("SE1 9SG", 51.5045, -0.0865, "London (London Bridge)"),
    ("EC2M 7PY", 51.5178, -0.0823, "London (Liverpool Street)"),
    ("WC2N 5DU", 51.5077, -0.1246, "London (Charing Cross)"),
    ("M1 1AE", 53.4808, -2.2370, "Manchester"),
    ("M2 5DB", 53.4790, -2.2450, "Manchester"),
    ("LS1 4DY", 53.7970, -1.5480, "Leeds"),
    ("BS1 4DJ", 51.4530, -2.5970, "Bristol"),
    ("NG1 5FS", 52.9530, -1.1500, "Nottingham"),
    ("RG1 1AZ", 51.4560, -0.9710, "Reading"),
    ("MK9 2FR", 52.0420, -0.7580, "Milton Keynes"),
    ("S1 2HH", 53.3810, -1.4700, "Sheffield"),
    ("CV1 5FB", 52.4080, -1.5100, "Coventry"),
)

#: Fake people for the privacy tests: names that are obviously invented; phone numbers are
#: from Ofcom's ranges reserved for drama (07700 900000–900999, 0121 496 0000–0999).
FAKE_PEOPLE: tuple[str, ...] = (
    "Ada Example",
    "Bilal Placeholder",
    "Chidi Sample",
    "Dana Fictitious",
    "Eszter Madeup",
    "Farah Testcase",
    "Gurpreet Notreal",
    "Hana Pretend",
    "Imran Dummy",
    "Jola Invented",
    "Kofi Specimen",
    "Leila Imaginary",
    "Marek Mockup",
    "Nia Surrogate",
    "Omar Standin",
    "Priya Template",
    "Quentin Fakename",
    "Rosa Fabricated",
    "Samir Pseudonym",
    "Tegan Exemplar",
)
