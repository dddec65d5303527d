"""English topic vocabularies: which words say an article is about which topic, and how strongly.

The topic set and its definitions live in :mod:`pipeline.topics`; this module is their
vocabulary. Weight 1.0 is a term that settles the topic on its own in a headline ("tariffs",
"H-1B", "LNG"); 0.3–0.6 are words that only point there in company ("talks", "space", "gas").
Terms that name the sides (ministers, institutions) and bilateral cues ("bilateral trade",
"iCET") carry their own topic hints in :mod:`.en_actors`.
"""

from __future__ import annotations

from typing import Final

from pipeline.detect.terms import Term, topic

TRADE: Final[tuple[Term, ...]] = (
    topic("trade", 1.0, "tariff", "tariffs", "trade deal", "trade deals", "trade agreement", "trade pact",
          "trade talks", "trade war", "trade negotiations", "trade negotiators", "trade negotiator",
          "free trade agreement", "reciprocal tariff", "reciprocal tariffs",
          "trade deficit", "trade surplus", "market access", "anti-dumping", "countervailing duty",
          "import duty", "import duties", "customs duty", "customs duties", "retaliatory"),
    topic("trade", 1.0, "FTA", "GSP", cs=True),
    topic("trade", 0.8, "WTO", "World Trade Organization", "exports", "imports", "exporters", "importers",
          "duties", "levy", "levies", "Section 232", "Section 301", "most favoured nation",
          "most favored nation", "trade barriers", "trade ties"),
    topic("trade", 0.6, "trade", "export", "import", "FDI", "foreign direct investment", "investment",
          "investments", "investors", "goods", "commerce", "dairy", "agricultural products", "supply chain",
          "supply chains", "economic partnership"),
    topic("trade", 0.3, "deal", "economy", "economic", "market", "markets", "sanctions", "duty", "penalty"),
)

DEFENSE: Final[tuple[Term, ...]] = (
    topic("defense", 1.0, "defence", "defense", "military", "arms deal", "arms sales", "weapons deal",
          "fighter jet", "fighter jets", "jet engine", "jet engines", "joint exercise", "joint exercises",
          "military exercise", "military exercises", "naval exercise", "war games", "defence framework",
          "defense framework", "defence deal", "defense deal", "defence cooperation", "defense cooperation",
          "security cooperation", "maritime security", "Predator drones", "Apache helicopters",
          "Stryker", "Javelin missiles", "co-production", "defence industrial", "defense industrial"),
    topic("defense", 0.8, "navy", "naval", "army", "air force", "troops", "warship", "warships", "submarine",
          "submarines", "missile", "missiles", "weapons", "armed forces", "counterterrorism",
          "counter-terrorism", "drones", "Tejas", "BrahMos", "Rafale", "S-400", "aircraft carrier"),
    topic("defense", 0.6, "security", "arms", "terror", "terrorism", "terrorist", "Indo-Pacific", "Malabar"),
    topic("defense", 0.4, "strategic", "border"),
    topic("defense", 0.3, "war", "attack", "strike", "strikes"),
)

IMMIGRATION: Final[tuple[Term, ...]] = (
    topic("immigration", 1.0, "visa", "visas", "immigration", "deportation", "deportations", "deported",
          "deportees", "deport", "deporting", "green card", "green cards", "gold card", "student visa",
          "student visas", "work visa", "work visas", "illegal immigrants", "illegal immigration",
          "undocumented", "H-4", "L-1", "asylum", "birthright citizenship", "travel ban", "remittance tax",
          "dunki", "donkey route"),
    topic("immigration", 1.0, "OPT", cs=True),
    topic("immigration", 0.8, "immigrant", "immigrants", "migrants", "migrant", "work permit", "work permits",
          "citizenship", "naturalisation", "naturalization", "international students", "overseas students",
          "foreign students", "skilled workers", "foreign workers", "border patrol"),
    topic("immigration", 0.5, "migration", "diaspora", "remittances", "consular", "passport", "passports"),
)

ENERGY: Final[tuple[Term, ...]] = (
    topic("energy", 1.0, "oil", "crude", "crude oil", "LNG", "liquefied natural gas", "natural gas",
          "energy", "nuclear power", "nuclear reactor", "nuclear reactors", "civil nuclear",
          "nuclear energy", "civil nuclear deal", "Westinghouse", "Kovvada", "Holtec",
          "small modular reactor", "small modular reactors", "renewable", "renewables", "clean energy",
          "climate finance", "petroleum", "oil imports", "barrels",
          "green hydrogen", "solar power", "wind power"),
    topic("energy", 0.8, "refinery", "refineries", "refiner", "refiners", "OPEC", "Rosneft", "Lukoil",
          "uranium", "coal", "solar", "power plant", "electricity", "climate"),
    topic("energy", 0.8, "SMR", "SMRs", cs=True),
    topic("energy", 1.0, "energy security"),
    topic("energy", 0.5, "gas", "nuclear", "emissions", "pipeline", "fuel", "fuels", "sanctions"),
    topic("energy", 0.3, "power"),
)

DIPLOMACY: Final[tuple[Term, ...]] = (
    topic("diplomacy", 1.0, "summit", "state visit", "diplomacy", "diplomatic", "diplomats", "diplomat",
          "ambassador", "envoy", "joint statement", "foreign minister", "foreign ministers",
          "foreign secretary", "secretary of state", "strategic partnership", "phone call", "spoke with",
          "held talks", "foreign policy"),
    topic("diplomacy", 0.7, "ties", "relations", "relationship", "embassy", "consulate", "dialogue",
          "meeting", "meets", "met with", "visit", "visits", "visited", "talks", "mediation",
          "mediate", "ceasefire", "G20", "G7", "UNGA", "United Nations", "Security Council", "multilateral",
          "condolences", "congratulates", "congratulated", "invited", "invitation", "partnership",
          "allies", "ally", "strategic autonomy", "Indo-Pacific"),
    topic("diplomacy", 0.4, "meet", "statement", "leaders", "minister", "prime minister", "president",
          "officials", "counterpart", "cooperation", "agreement"),
    topic("diplomacy", 0.4, "UN", cs=True),
)

TECHNOLOGY: Final[tuple[Term, ...]] = (
    topic("technology", 1.0, "semiconductor", "semiconductors", "chipmaker", "chipmakers", "chip plant",
          "chip fab", "artificial intelligence", "critical and emerging technologies",
          "critical and emerging technology", "IT services", "CHIPS Act", "data centre", "data centres",
          "data center", "data centers", "quantum computing", "5G", "6G", "telecom", "telecommunications",
          "space station", "NISAR", "Axiom-4", "Ax-4", "cybersecurity", "technology transfer",
          "tech transfer"),
    topic("technology", 1.0, "AI", cs=True),
    topic("technology", 0.8, "chip", "chips", "technology", "technologies", "tech", "Micron", "Nvidia",
          "iPhone", "iPhones", "Google", "Microsoft", "Amazon", "Qualcomm", "satellite", "satellites",
          "quantum", "cyber", "software", "critical minerals", "rare earths", "rare earth", "export controls",
          "Starlink", "spacecraft", "astronaut", "astronauts", "outsourcing"),
    topic("technology", 0.8, "Apple", cs=True),  # not the fruit (Kashmiri apples are a trade story)
    topic("technology", 0.8, "IT sector", "IT industry", "IT firms", "IT companies", "IT workers",
          "IT professionals", cs=True),
    topic("technology", 0.5, "digital", "startup", "startups"),
    topic("technology", 0.4, "space", "innovation", "research", "engineers", "electronics", "manufacturing"),
)

TERMS: Final[tuple[Term, ...]] = (*TRADE, *DEFENSE, *IMMIGRATION, *ENERGY, *DIPLOMACY, *TECHNOLOGY)
