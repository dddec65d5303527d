"""English gazetteer of the two sides and of the relationship itself.

US side: the country, its federal government and institutions, presidents and officials.
India side: the country, its government and institutions, leaders, major places and firms.
Bilateral cues: phrases that name the US–India relationship ("India-US", "iCET", "Quad").

Weights: 1.0 for an unmistakable actor (country name, head of government), less for words that
are often incidental ("American", a city, a firm). ``ambiguous`` marks words that name another
actor just as often ("Congress" is usually India's Congress party in Indian outlets); they count
only when the same side is named unambiguously elsewhere in the article. Officials carry small
topic hints (a trade minister leans "trade") and ``leader`` for the diplomacy fallback.
"""

from __future__ import annotations

from typing import Final

from pipeline.detect.terms import GUARD_US_CAPS, Term, cue, india, us

_US_ENTITY = "United States"
_INDIA_ENTITY = "India"
_DIPLOMACY = {"diplomacy": 0.3}

US_SIDE: Final[tuple[Term, ...]] = (
    # The country. "US" is matched case-sensitively and not trusted in all-caps text (the pronoun).
    us("US", w=1.0, entity=_US_ENTITY, cs=True, guard=GUARD_US_CAPS),
    us("U.S.", "U.S", "U.S.A.", "USA", "United States", "United States of America", w=1.0, entity=_US_ENTITY),
    us("America", w=0.9, entity=_US_ENTITY),
    us("American", "Americans", w=0.6, entity=_US_ENTITY),
    # Government by metonym and institutions.
    us("Washington", w=0.8, entity="Washington, D.C."),
    us("Washington, D.C.", "Washington D.C.", "Washington DC", "Washington, DC", w=0.9,
       entity="Washington, D.C."),
    us("White House", w=1.0, entity="White House", topics=_DIPLOMACY),
    us("State Department", "US State Department", "U.S. State Department", "Department of State",
       w=1.0, entity="State Department", topics=_DIPLOMACY),
    us("Pentagon", "Department of Defense", "Defense Department", "Department of War", "War Department",
       w=1.0, entity="Pentagon", topics={"defense": 0.4}),
    us("US Congress", "U.S. Congress", "Capitol Hill", "congressional", "congressman", "congresswoman",
       "congressmen", w=0.9, entity="US Congress"),
    us("Congress", w=0.5, entity="US Congress", ambiguous=True),
    us("US Senate", "U.S. Senate", w=1.0, entity="US Senate"),
    us("Senate", w=0.5, entity="US Senate", ambiguous=True),
    us("senator", "senators", "House of Representatives", "Republicans", "Democrats", "Republican Party",
       "Democratic Party", w=0.4, ambiguous=True),
    us("GOP", w=0.5, cs=True),
    us("US Treasury", "U.S. Treasury", "Treasury Department", "Treasury Secretary", w=0.9,
       entity="US Treasury", topics={"trade": 0.2}),
    us("USTR", w=1.0, entity="USTR", cs=True, topics={"trade": 0.6}),
    us("US Trade Representative", "U.S. Trade Representative", "Office of the United States Trade Representative",
       w=1.0, entity="USTR", topics={"trade": 0.6}),
    us("Commerce Department", "Department of Commerce", "Commerce Secretary", w=0.6,
       entity="US Department of Commerce", topics={"trade": 0.3}, ambiguous=True),
    us("Department of Homeland Security", "Homeland Security", w=0.9, entity="Department of Homeland Security",
       topics={"immigration": 0.4}),
    us("DHS", w=0.8, entity="Department of Homeland Security", cs=True, topics={"immigration": 0.4}),
    us("USCIS", "Citizenship and Immigration Services", w=0.9, entity="USCIS", topics={"immigration": 1.0}),
    us("Immigration and Customs Enforcement", w=0.9, entity="ICE", topics={"immigration": 1.0}),
    us("ICE", w=0.7, entity="ICE", cs=True, topics={"immigration": 0.8}),
    us("Customs and Border Protection", w=0.9, entity="CBP", topics={"immigration": 0.6}),
    us("CBP", w=0.7, entity="CBP", cs=True, topics={"immigration": 0.5}),
    us("FBI", w=0.7, entity="FBI"),
    us("CIA", w=0.7, entity="CIA", cs=True),
    us("NASA", w=0.8, entity="NASA", topics={"technology": 0.6}),
    us("Federal Reserve", w=0.6, entity="Federal Reserve"),
    us("Indo-Pacific Command", "INDOPACOM", w=0.9, entity="INDOPACOM", topics={"defense": 0.8}),
    us("US Navy", "U.S. Navy", "US military", "U.S. military", "US Army", "U.S. Army", "US Air Force",
       "U.S. Air Force", w=1.0, entity=_US_ENTITY, topics={"defense": 0.8}),
    us("US Embassy", "U.S. Embassy", "American Embassy", w=1.0, entity="US Embassy",
       topics={"diplomacy": 0.6}),
    # Presidents and vice-presidents.
    us("Trump", "Donald Trump", "Donald J. Trump", "President Trump", w=1.0, entity="Donald Trump",
       leader=True),
    us("Biden", "Joe Biden", "President Biden", w=1.0, entity="Joe Biden", leader=True),
    us("Obama", "Barack Obama", w=0.9, entity="Barack Obama", leader=True),
    us("George W. Bush", w=0.9, entity="George W. Bush", leader=True),
    us("Bill Clinton", w=0.9, entity="Bill Clinton", leader=True),
    us("Kamala Harris", w=1.0, entity="Kamala Harris", leader=True),
    us("Vance", "JD Vance", "J.D. Vance", "J. D. Vance", w=1.0, entity="JD Vance", leader=True),
    # Cabinet and officials; topic hints follow their portfolios.
    us("Rubio", "Marco Rubio", w=1.0, entity="Marco Rubio", leader=True, topics=_DIPLOMACY),
    us("Blinken", "Antony Blinken", w=1.0, entity="Antony Blinken", leader=True, topics=_DIPLOMACY),
    us("Pompeo", "Mike Pompeo", w=0.9, entity="Mike Pompeo", leader=True, topics=_DIPLOMACY),
    us("Christopher Landau", w=0.9, entity="Christopher Landau", topics=_DIPLOMACY),
    us("Hegseth", "Pete Hegseth", w=1.0, entity="Pete Hegseth", leader=True, topics={"defense": 0.4}),
    us("Lloyd Austin", w=1.0, entity="Lloyd Austin", leader=True, topics={"defense": 0.4}),
    us("Lutnick", "Howard Lutnick", w=1.0, entity="Howard Lutnick", leader=True, topics={"trade": 0.4}),
    us("Greer", "Jamieson Greer", w=0.9, entity="Jamieson Greer", leader=True, topics={"trade": 0.5}),
    us("Katherine Tai", w=1.0, entity="Katherine Tai", leader=True, topics={"trade": 0.5}),
    us("Peter Navarro", w=0.9, entity="Peter Navarro", topics={"trade": 0.4}),
    us("Bessent", "Scott Bessent", w=1.0, entity="Scott Bessent", leader=True, topics={"trade": 0.3}),
    us("Yellen", "Janet Yellen", w=0.9, entity="Janet Yellen", leader=True, topics={"trade": 0.2}),
    us("Raimondo", "Gina Raimondo", w=0.9, entity="Gina Raimondo", leader=True, topics={"trade": 0.2}),
    us("Chris Wright", w=0.9, entity="Chris Wright", leader=True, topics={"energy": 0.4}),
    us("Burgum", "Doug Burgum", w=0.9, entity="Doug Burgum", leader=True, topics={"energy": 0.3}),
    us("Noem", "Kristi Noem", w=0.9, entity="Kristi Noem", leader=True, topics={"immigration": 0.4}),
    us("Stephen Miller", w=0.8, entity="Stephen Miller", topics={"immigration": 0.3}),
    us("Mike Waltz", w=0.8, entity="Mike Waltz", leader=True, topics=_DIPLOMACY),
    us("Waltz", w=0.8, entity="Mike Waltz", leader=True, cs=True, topics=_DIPLOMACY),
    us("Jake Sullivan", w=0.9, entity="Jake Sullivan", leader=True, topics=_DIPLOMACY),
    us("Kurt Campbell", w=0.9, entity="Kurt Campbell", topics=_DIPLOMACY),
    us("Tulsi Gabbard", "Gabbard", w=0.9, entity="Tulsi Gabbard", leader=True),
    us("Kash Patel", w=0.8, entity="Kash Patel"),
    us("Donald Lu", w=0.8, entity="Donald Lu", topics=_DIPLOMACY),
    us("Paul Kapur", w=0.8, entity="Paul Kapur", topics=_DIPLOMACY),
    # Ambassadors to India.
    us("Garcetti", "Eric Garcetti", w=1.0, entity="Eric Garcetti", topics={"diplomacy": 0.4}),
    us("Sergio Gor", w=1.0, entity="Sergio Gor", topics={"diplomacy": 0.4}),
    us("Gor", w=0.8, entity="Sergio Gor", cs=True, topics={"diplomacy": 0.3}),
    us("Ken Juster", "Kenneth Juster", w=0.9, entity="Kenneth Juster", topics={"diplomacy": 0.4}),
    # Indian-American lawmakers and politicians are US actors first.
    us("Ro Khanna", "Raja Krishnamoorthi", "Pramila Jayapal", "Shri Thanedar", "Ami Bera", w=0.7),
    us("Vivek Ramaswamy", "Ramaswamy", w=0.6, entity="Vivek Ramaswamy"),
    us("Nikki Haley", w=0.7, entity="Nikki Haley"),
    # US firms in bilateral deals. Weak on their own: a firm's news is not the relationship.
    us("Westinghouse", w=0.3, entity="Westinghouse", topics={"energy": 0.6}),
    us("Holtec", w=0.3, entity="Holtec International", topics={"energy": 0.6}),
    us("ExxonMobil", "Chevron", w=0.3, topics={"energy": 0.5}),
    us("General Electric", "GE Aerospace", w=0.3, entity="GE Aerospace", topics={"defense": 0.3, "technology": 0.3}),
    us("Lockheed Martin", "Boeing", "General Atomics", w=0.3, topics={"defense": 0.4}),
    # Consumer tech firms are left out: "India fines Google" is regulation, not relations.
    us("Micron", w=0.2, entity="Micron"),
)

INDIA_SIDE: Final[tuple[Term, ...]] = (
    india("India", "Republic of India", w=1.0, entity=_INDIA_ENTITY),
    india("Indian", "Indians", w=0.8, entity=_INDIA_ENTITY),
    india("Bharat", w=0.9, entity=_INDIA_ENTITY),
    india("Hindustan", w=0.6, entity=_INDIA_ENTITY),
    india("New Delhi", w=0.9, entity="New Delhi"),
    india("Delhi", w=0.6, entity="Delhi"),
    india("Indian government", "Government of India", w=1.0, entity="Government of India"),
    # Leaders and ministers.
    india("Modi", "Narendra Modi", "PM Modi", "Prime Minister Modi", "Prime Minister Narendra Modi",
          w=1.0, entity="Narendra Modi", leader=True),
    india("Jaishankar", "S Jaishankar", "S. Jaishankar", "Subrahmanyam Jaishankar", w=1.0,
          entity="S. Jaishankar", leader=True, topics=_DIPLOMACY),
    india("Doval", "Ajit Doval", w=1.0, entity="Ajit Doval", leader=True,
          topics={"defense": 0.2, "diplomacy": 0.2}),
    india("Goyal", "Piyush Goyal", w=1.0, entity="Piyush Goyal", leader=True, topics={"trade": 0.4}),
    india("Rajnath Singh", w=1.0, entity="Rajnath Singh", leader=True, topics={"defense": 0.4}),
    india("Sitharaman", "Nirmala Sitharaman", w=1.0, entity="Nirmala Sitharaman", leader=True,
          topics={"trade": 0.2}),
    india("Hardeep Singh Puri", "Hardeep Puri", w=1.0, entity="Hardeep Singh Puri", leader=True,
          topics={"energy": 0.4}),
    india("Vaishnaw", "Ashwini Vaishnaw", w=1.0, entity="Ashwini Vaishnaw", leader=True,
          topics={"technology": 0.4}),
    india("Amit Shah", w=1.0, entity="Amit Shah", leader=True),
    india("Droupadi Murmu", "President Murmu", w=1.0, entity="Droupadi Murmu", leader=True),
    india("Manmohan Singh", w=0.9, entity="Manmohan Singh", leader=True),
    india("Vikram Misri", w=1.0, entity="Vikram Misri", topics=_DIPLOMACY),
    india("Misri", w=1.0, entity="Vikram Misri", cs=True, topics=_DIPLOMACY),  # "misri" is also rock sugar
    india("Vinay Mohan Kwatra", "Vinay Kwatra", "Kwatra", w=1.0, entity="Vinay Mohan Kwatra",
          topics={"diplomacy": 0.4}),
    india("Taranjit Singh Sandhu", w=1.0, entity="Taranjit Singh Sandhu", topics={"diplomacy": 0.4}),
    india("Rahul Gandhi", "Sonia Gandhi", "Mallikarjun Kharge", "Priyanka Gandhi", w=0.8),
    # Institutions.
    india("MEA", w=1.0, entity="Ministry of External Affairs", cs=True, topics=_DIPLOMACY),
    india("Ministry of External Affairs", "External Affairs Ministry", "External Affairs Minister",
          w=1.0, entity="Ministry of External Affairs", topics=_DIPLOMACY),
    india("Ministry of Commerce and Industry", "Commerce and Industry Minister", w=1.0,
          entity="Ministry of Commerce and Industry", topics={"trade": 0.5}),
    india("RBI", w=0.9, entity="Reserve Bank of India", cs=True),
    india("Reserve Bank of India", w=0.9, entity="Reserve Bank of India"),
    india("ISRO", "Indian Space Research Organisation", w=0.9, entity="ISRO", topics={"technology": 0.6}),
    india("DRDO", w=0.9, entity="DRDO", topics={"defense": 0.6}),
    india("HAL", w=0.8, entity="Hindustan Aeronautics", cs=True, topics={"defense": 0.6}),
    india("Hindustan Aeronautics", w=0.8, entity="Hindustan Aeronautics", topics={"defense": 0.6}),
    india("Indian Navy", "Indian Army", "Indian Air Force", "Indian armed forces", "Indian military",
          w=1.0, entity=_INDIA_ENTITY, topics={"defense": 0.8}),
    india("BJP", "Bharatiya Janata Party", w=0.6, entity="Bharatiya Janata Party"),
    india("Lok Sabha", "Rajya Sabha", "Parliament of India", w=0.7, entity="Parliament of India"),
    # Places: cities and states say "India" less directly than the capital does.
    india("Mumbai", "Bengaluru", "Bangalore", "Chennai", "Kolkata", "Hyderabad", "Pune", "Ahmedabad",
          "Gurugram", "Gurgaon", "Noida", "Gujarat", "Kerala", "Tamil Nadu", "Karnataka", "Maharashtra",
          "Uttar Pradesh", "Bihar", "West Bengal", "Telangana", "Andhra Pradesh", "Rajasthan", w=0.5),
    india("Punjab", "Kashmir", w=0.4, ambiguous=True),  # also provinces/areas of Pakistan
    india("Jammu and Kashmir", w=0.6),
    india("rupee", "rupees", w=0.4, ambiguous=True),  # also Pakistan's, Sri Lanka's, Nepal's currency
    # Firms that stand for India in business stories.
    india("Tata", "Tata Group", "Tata Sons", "Infosys", "Wipro", "Tata Consultancy Services", "HCLTech",
          "Reliance Industries", "Reliance Jio", "Mahindra", "Bharti Airtel", w=0.5),
    india("TCS", w=0.5, entity="Tata Consultancy Services", cs=True),
    india("Adani", "Gautam Adani", w=0.6, entity="Adani Group"),
    india("Ambani", "Mukesh Ambani", w=0.5, entity="Mukesh Ambani"),
    india("Air India", w=0.6, entity="Air India"),
    india("State Bank of India", w=0.5, entity="State Bank of India"),
    india("NPCIL", "Nuclear Power Corporation of India", w=0.6, entity="NPCIL", topics={"energy": 0.8}),
    india("Kovvada", "Jaitapur", "Kudankulam", w=0.4, topics={"energy": 0.8}),
    india("ONGC", "Indian Oil", "IndianOil", "Bharat Petroleum", "Hindustan Petroleum", "Nayara Energy",
          w=0.6, topics={"energy": 0.6}),
    # The diaspora sits between the sides.
    india("Indian diaspora", w=0.8, entity="Indian diaspora", topics={"immigration": 0.4}),
    india("Indian-origin", "Indian origin", "Indian-born", "NRI", "NRIs", "non-resident Indian",
          "non-resident Indians", w=0.5, topics={"immigration": 0.3}),
    india("Indian students", "Indian nationals", "Indian citizens", "Indian workers", "Indian professionals",
          "Indian techies", w=0.8, entity=_INDIA_ENTITY, topics={"immigration": 0.6}),
)

_DYAD = (_US_ENTITY, _INDIA_ENTITY)
_QUAD_PARTNERS = ("Japan", "Australia")

BILATERAL_CUES: Final[tuple[Term, ...]] = (
    # "bilateral" says two parties are the subject without saying which: evidence and topic, no side.
    cue("bilateral", us=0.0, india=0.0, bilateral=0.3, topics={"diplomacy": 0.7}),
    cue("bilateral ties", "bilateral relations", "bilateral talks", "bilateral relationship", us=0.0, india=0.0,
        bilateral=0.3, topics={"diplomacy": 1.0}),
    cue("bilateral trade", "bilateral trade agreement", "bilateral trade deal", us=0.0, india=0.0,
        bilateral=0.3, topics={"trade": 1.0}),
    cue("BTA", us=0.0, india=0.0, bilateral=0.3, cs=True, topics={"trade": 1.0}),
    cue("India-US", "India-U.S.", "India-USA", "US-India", "U.S.-India", "USA-India", "Indo-US", "Indo-U.S.",
        "India-America", "America-India", "India-United States", "United States-India",
        "Washington-New Delhi", "New Delhi-Washington", "Delhi-Washington", "Washington-Delhi",
        "Indo-American", us=1.0, india=1.0, bilateral=1.0, entity=_DYAD, topics={"diplomacy": 0.3}),
    cue("Indian-American", "Indian-Americans", "Indian American", "Indian Americans", us=0.5, india=0.6,
        bilateral=0.2, entity="Indian Americans", topics={"immigration": 0.3}),
    cue("H-1B", "H1B", "H-1B visa", "H-1B visas", "H1-B", us=0.7, india=0.3, bilateral=0.3, entity="H-1B visa",
        topics={"immigration": 1.0}),
    cue("iCET", "initiative on critical and emerging technology", us=0.8, india=0.8, bilateral=1.0,
        entity="iCET", topics={"technology": 1.0}),
    cue("TRUST initiative", "Transforming the Relationship Utilizing Strategic Technology", us=0.8, india=0.8,
        bilateral=1.0, entity="TRUST initiative", topics={"technology": 1.0}),
    cue("COMPACT", us=0.6, india=0.6, bilateral=0.9, entity="US-India COMPACT", cs=True,
        topics={"defense": 0.5, "trade": 0.5, "technology": 0.3}),
    cue("Mission 500", us=0.7, india=0.7, bilateral=0.9, entity="Mission 500", topics={"trade": 1.0}),
    cue("2+2 dialogue", "2+2 ministerial", "2+2 ministerial dialogue", "two-plus-two dialogue", "2+2", us=0.5,
        india=0.6, bilateral=0.6, entity="2+2 dialogue", topics={"diplomacy": 0.8, "defense": 0.5}),
    cue("Quad", us=0.7, india=0.7, bilateral=0.6, entity="Quad", cs=True, partners=_QUAD_PARTNERS,
        topics={"diplomacy": 0.5, "defense": 0.4}),
    cue("Quadrilateral Security Dialogue", us=0.7, india=0.7, bilateral=0.6, entity="Quad",
        partners=_QUAD_PARTNERS, topics={"diplomacy": 0.5, "defense": 0.5}),
    cue("Quad summit", "Quad leaders", "Quad foreign ministers", us=0.7, india=0.7, bilateral=0.6, entity="Quad",
        partners=_QUAD_PARTNERS, topics={"diplomacy": 1.0}),
    cue("Malabar exercise", "Exercise Malabar", "Malabar naval exercise", us=0.5, india=0.5, bilateral=0.6,
        entity="Exercise Malabar", partners=_QUAD_PARTNERS, topics={"defense": 1.0}),
    cue("Yudh Abhyas", "Cope India", "Tiger Triumph", "Vajra Prahar", us=0.7, india=0.7, bilateral=0.9,
        topics={"defense": 1.0}),
    cue("123 Agreement", "Indo-US nuclear deal", "India-US nuclear deal", "US-India nuclear deal",
        "India-US civil nuclear", "Indo-US civil nuclear", "US-India civil nuclear", us=1.0, india=1.0,
        bilateral=1.0, entity="123 Agreement", topics={"energy": 1.0}),
    cue("Major Defense Partner", "Major Defence Partner", us=0.6, india=0.6, bilateral=0.9,
        topics={"defense": 1.0}),
    cue("LEMOA", "COMCASA", "BECA", us=0.5, india=0.5, bilateral=0.9, cs=True, topics={"defense": 1.0}),
    cue("GE F414", "F414", "F-414", us=0.3, india=0.3, bilateral=0.5, entity="GE F414",
        topics={"defense": 1.0, "technology": 0.3}),
    cue("MQ-9B", us=0.3, india=0.2, bilateral=0.3, entity="MQ-9B", topics={"defense": 1.0}),
    cue("P-8I", us=0.3, india=0.4, bilateral=0.4, entity="P-8I", topics={"defense": 1.0}),
)

TERMS: Final[tuple[Term, ...]] = (*US_SIDE, *INDIA_SIDE, *BILATERAL_CUES)
