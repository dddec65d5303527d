"""Text rules shared by the story channels: the words that carry no story, the outlet suffix of a headline."""

from __future__ import annotations

import re
from typing import Final

# "Headline - Reuters", "Headline | The Hindu": the outlet's name is not part of the story.
OUTLET_SUFFIX: Final = re.compile(r"\s+[-–—|]\s+[^-–—|]{2,40}$")
# Function words of English news copy: they carry no story and make unrelated leads look alike.
_STOPWORD_TEXT: Final = """
a about above after again against all also am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have having
he her here hers him his how i if in into is it its itself just me more most my no nor not now of off on
once only or other our ours out over own same she should so some such than that the their theirs them then
there these they this those through to too under until up very was we were what when where which while who
whom why will with would you your yours said says say new news report reports reported according amid
"""
STOPWORDS: Final = frozenset(_STOPWORD_TEXT.split())
