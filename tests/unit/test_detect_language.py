"""pipeline.detect.detect_language: script and stopword guesses, None when unsure."""

from __future__ import annotations

import pytest

from pipeline.detect import detect_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The prime minister said the talks with Washington were productive.", "en"),
        ("India’s exports to the US rose in the first quarter, officials said", "en"),
        ("भारत और अमेरिका के बीच व्यापार वार्ता फिर शुरू हुई", "hi"),
        ("भारत आणि अमेरिका यांच्यात व्यापार करार झाला आहे", "mr"),
        ("ಭಾರತ ಮತ್ತು ಅಮೆರಿಕ ನಡುವೆ ವ್ಯಾಪಾರ ಒಪ್ಪಂದ", "kn"),
        ("இந்தியா அமெரிக்கா வர்த்தக ஒப்பந்தம்", "ta"),
        ("ভারত ও যুক্তরাষ্ট্রের বাণিজ্য চুক্তি", "bn"),
        ("美国和印度签署了新的贸易协议", "zh"),
        ("アメリカとインドが貿易協定に署名した", "ja"),
        ("미국과 인도가 무역 협정에 서명했다", "ko"),
        ("وقعت الهند والولايات المتحدة اتفاقية تجارية جديدة", "ar"),
        ("بھارت اور امریکہ کے درمیان تجارتی معاہدہ ہو گیا ہے", "ur"),
        ("Индия и США подписали торговое соглашение", "ru"),
        ("Індія та США підписали торговельну угоду", "uk"),
        ("El gobierno de la India y los Estados Unidos firmaron un acuerdo comercial", "es"),
        ("Le gouvernement indien et les États-Unis ont signé un accord pour la coopération", "fr"),
        ("Die Regierung in Neu-Delhi und die USA haben ein Abkommen unterzeichnet", "de"),
    ],
)
def test_detects_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "12345 !!!", "Modi Trump", "COVID-19"])
def test_none_when_unsure(text: str) -> None:
    assert detect_language(text) is None


def test_a_few_foreign_words_do_not_change_the_script_verdict() -> None:
    assert detect_language("PM Modi ने कहा कि भारत और US के रिश्ते मजबूत हैं") == "hi"
    assert detect_language("Modi said the word “भारत” means India in Hindi and in the constitution") == "en"


def test_only_a_bounded_prefix_is_read() -> None:
    assert detect_language("The talks were held in the capital. " * 10 + "भारत " * 500) == "en"
