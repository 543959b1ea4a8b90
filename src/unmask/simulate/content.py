"""What the world says: texts, links, hashtags, typos, paraphrases, narratives.

Ordinary texts are drawn word by word from a vocabulary per language (Zipf-weighted), so two
ordinary posts are never near-copies of each other, while the copies an operation makes of
one text are (and its paraphrases are not). Everything bulk is built vectorised with Arrow
compute; what operations write, which is small, is built in Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from unmask.ingest.normalise import canonical_url, url_domain
from unmask.simulate.scenario import LANGUAGES
from unmask.simulate.texts import (
    CAREFUL_CLOSE_MORE,
    CAREFUL_MORE,
    CAREFUL_OPEN_MORE,
    CLOSERS_MORE,
    CRITICS_MORE,
    HEADLINES_MORE,
    NARRATIVES_MORE,
    PLACES_MORE,
    SPAM_COMMENTS_MORE,
    STRONG_SYNONYMS,
    SUPPORT,
    SYNONYMS_MORE,
    TEASER_PATHS_MORE,
    TEASERS_MORE,
)

STRINGS = pa.list_(pa.string())

_VOCAB_TEXT = {
    "en": """the a to and of in is it you that for on with this was are be at have not but
    just so my they we all what your about like from out more can get one if people time
    day today now really good new great love think know see want make going back after
    still first last never always need life world work home night week year news city
    game music food friends family team weather morning weekend summer coffee book movie
    show phone school house street car train money price market job story photo video
    thing things way best better little big long old happy sad funny crazy amazing
    beautiful tired hard easy free fresh local small early late again tomorrow yesterday
    everyone someone nobody something nothing here there why how when where who because
    maybe probably finally actually almost enough only even also very too much many some
    every other another same different right wrong true real sure ready open close start
    stop watch read listen play run walk talk say tell ask feel look find give take keep
    try call leave bring buy sell pay eat drink cook sleep wake drive fly travel visit
    meet help share post follow check win lose miss hope wish remember forget learn teach
    build fix clean break change move stay wait rain snow sun wind beach park garden
    river mountain lake road bridge station airport office store restaurant kitchen
    dinner lunch breakfast pizza tea beer wine cake bread soup cheese chicken dog cat bird
    baby kid mom dad brother sister wife husband neighbor boss teacher doctor nurse
    player coach fan club match season goal score final league election vote government
    policy council tax bill law court police fire health hospital traffic bus flight
    delay update report local national global climate energy power water heat cold
    storm flood festival concert album song band art museum gallery library class exam
    test project deadline meeting email laptop app website online offline battery
    screen camera picture selfie birthday wedding party holiday vacation trip hotel""",
    "es": """el la de que y en a los se del las un por con no una su para es al lo como más
    pero sus le ya o este sí porque esta entre cuando muy sin sobre también me hasta hay
    donde quien desde todo nos durante todos uno les ni contra otros ese eso ante ellos e
    esto mí antes algunos qué unos yo otro otras otra él tanto esa estos mucho quienes
    nada muchos cual poco ella estar estas algunas algo nosotros hoy mañana ayer casa
    ciudad trabajo vida mundo amigos familia fútbol música comida café calle coche tren
    dinero precio noticia foto video día noche semana año feliz bueno nuevo gran mejor""",
    "de": """der die und in den von zu das mit sich des auf für ist im dem nicht ein eine als
    auch es an werden aus er hat dass sie nach wird bei einer um am sind noch wie einem
    über einen so zum war haben nur oder aber vor zur bis mehr durch man sein wurde sei
    heute morgen gestern Haus Stadt Arbeit Leben Welt Freunde Familie Fußball Musik Essen
    Kaffee Straße Auto Zug Geld Preis Nachricht Foto Video Tag Nacht Woche Jahr gut neu
    schön wirklich immer wieder endlich schon ganz viel wenig Wetter Sonne Regen Urlaub""",
    "fr": """le de un être et à il avoir ne je son que se qui ce dans en du elle au pour pas
    que vous par sur faire plus dire me on mon lui nous comme mais pouvoir avec tout y
    aller voir en bien où sans tu ou leur homme si deux mari moi vouloir te femme venir
    quand grand celui notre devoir là jour prendre même votre tout rien petit encore
    aujourd'hui demain hier maison ville travail vie monde amis famille football musique
    café rue voiture train argent prix nouvelle photo vidéo nuit semaine année beau""",
    "pt": """o de a e do da em um para é com não uma os no se na por mais as dos como mas foi
    ao ele das tem à seu sua ou ser quando muito há nos já está eu também só pelo pela até
    isso ela entre era depois sem mesmo aos ter seus quem nas me esse eles estão você
    hoje amanhã ontem casa cidade trabalho vida mundo amigos família futebol música comida
    café rua carro trem dinheiro preço notícia foto vídeo dia noite semana ano feliz bom""",
    "ru": """и в не на я быть он с что а по это она этот к но они мы как из у который то за
    свой что весь год от так о для ты же все тот мочь вы человек такой его сказать только
    или ещё бы себя один как уже до время если сам когда другой вот говорить наш мой знать
    стать при чтобы дело жизнь кто первый очень два день её новый рука даже во со раз где
    сегодня завтра вчера дом город работа мир друзья семья футбол музыка еда кофе улица""",
    "zh": """我 你 他 我们 今天 明天 昨天 真的 非常 喜欢 觉得 知道 看到 一起 朋友 家人 工作
    生活 城市 天气 早上 晚上 周末 咖啡 音乐 电影 美食 旅行 照片 视频 手机 学校 公司 老板
    同事 地铁 下班 上班 吃饭 睡觉 开心 难过 好看 好吃 有趣 终于 还是 已经 可能 应该 因为
    所以 但是 如果 虽然 然后 现在 以前 以后 时候 东西 事情 问题 消息 新闻 比赛 球队 电视
    网上 大家 自己 孩子 妈妈 爸爸 老师 学生 医生 医院 超市 公园 海边 山上 下雨 太阳 冷
    热 累 忙 快乐 加油 哈哈 厉害 漂亮 便宜 贵 新 旧 大 小 多 少 去 来 买 卖 看 听 说 写 读
    吃 喝 玩 走 跑 等 想 要 能 会 的 了 是 在 有 和 也 都 就 很 不 没 这 那 一个""",
    "ja": """今日 明日 昨日 私 僕 みんな 友達 家族 仕事 会社 学校 先生 電車 駅 雨 晴れ 暑い
    寒い 楽しい 嬉しい 悲しい 美味しい 可愛い 面白い 疲れた 眠い 忙しい 本当に とても
    ちょっと やっぱり そろそろ まだ もう ずっと また 最近 週末 朝 夜 昼 ご飯 ラーメン
    コーヒー カフェ 映画 音楽 ライブ 写真 動画 旅行 温泉 桜 猫 犬 ゲーム 漫画 アニメ 本
    買い物 散歩 料理 お弁当 ニュース 天気 試合 野球 サッカー が を に は で と の も から
    まで です ます でした ました した する 行く 来る 見る 食べる 飲む 思う 言う 帰る
    頑張る ありがとう よろしく おはよう おやすみ なんか すごい 好き 嫌い 新しい 古い""",
    "ko": """오늘 내일 어제 나 우리 친구 가족 일 회사 학교 선생님 지하철 비 날씨 덥다 춥다
    재밌다 좋다 슬프다 맛있다 귀엽다 피곤하다 진짜 너무 조금 아직 벌써 계속 또 요즘
    주말 아침 저녁 점심 밥 커피 카페 영화 음악 콘서트 사진 영상 여행 고양이 강아지 게임
    책 쇼핑 산책 요리 뉴스 경기 축구 야구 사랑 행복 감사 응원 최고 대박 화이팅""",
}
_SEP = {"zh": "", "ja": ""}
_END = {
    "en": [".", "!", "", "?", "..", " :)"],
    "zh": ["。", "！", "", "～", "？"],
    "ja": ["。", "！", "", "w", "…"],
    "ko": [".", "!", "", "ㅋㅋ", "~"],
}


class Vocabulary:
    def __init__(self, lang: str, zipf: float = 0.9) -> None:
        words = _VOCAB_TEXT[lang].split()
        self.lang = lang
        self.words = pa.array(words, type=pa.string())
        w = 1.0 / np.arange(1, len(words) + 1) ** zipf
        self.cdf = np.cumsum(w) / w.sum()
        self.sep = _SEP.get(lang, " ")
        self.ends = pa.array(_END.get(lang, _END["en"]), type=pa.string())


VOCAB = {lang: Vocabulary(lang) for lang in LANGUAGES}


def by_language(lang_codes: np.ndarray, build) -> pa.Array:
    """Concatenate ``build(lang, positions)`` over the languages present, in row order."""
    parts, order = [], []
    for code in np.unique(lang_codes):
        sel = np.flatnonzero(lang_codes == code)
        parts.append(build(LANGUAGES[int(code)], sel))
        order.append(sel)
    if not parts:
        return pa.array([], type=pa.string())
    merged = pa.concat_arrays(parts)
    return merged.take(pa.array(np.argsort(np.concatenate(order), kind="stable")))


def random_texts(rng: np.random.Generator, lang_codes: np.ndarray, n_words: np.ndarray) -> pa.Array:
    """One ordinary text per row: ``n_words`` words of the row's language and an ending."""
    n_words = np.maximum(np.asarray(n_words, dtype=np.int64), 1)

    def build(lang, sel):
        v = VOCAB[lang]
        lens = n_words[sel]
        idx = np.searchsorted(v.cdf, rng.random(int(lens.sum())), side="right")
        idx = np.minimum(idx, len(v.words) - 1)
        offsets = pa.array(np.concatenate([[0], np.cumsum(lens)]).astype(np.int32))
        lists = pa.ListArray.from_arrays(offsets, v.words.take(pa.array(idx)))
        body = pc.binary_join(lists, v.sep)
        if lang not in ("zh", "ja", "ko", "ru"):
            body = pc.utf8_capitalize(body)
        ends = v.ends.take(pa.array(rng.integers(0, len(v.ends), len(sel))))
        return pc.binary_join_element_wise(body, ends, "")

    return by_language(np.asarray(lang_codes), build)


def list_array(offsets: np.ndarray, values: pa.Array, valid: np.ndarray | None = None) -> pa.Array:
    """A list<string> array from offsets (n + 1) and flat values; rows not ``valid`` are null."""
    arr = pa.ListArray.from_arrays(
        pa.array(np.asarray(offsets, dtype=np.int32)),
        values,
        mask=None if valid is None else pa.array(~np.asarray(valid, dtype=bool)),
    )
    return arr.cast(STRINGS)


def empty_lists(n: int, valid: np.ndarray | None = None) -> pa.Array:
    return list_array(np.zeros(n + 1, dtype=np.int32), pa.array([], type=pa.string()), valid)


def null_strings(n: int) -> pa.Array:
    return pa.nulls(n, type=pa.string())


def null_lists(n: int) -> pa.Array:
    return pa.nulls(n, type=STRINGS)


def concat_text(*parts: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


# -- hashtags ----------------------------------------------------------------------------

_TAG_WORDS = [
    "Monday",
    "Friday",
    "Weekend",
    "Sunday",
    "Morning",
    "Coffee",
    "Music",
    "Travel",
    "Food",
    "Photo",
    "Art",
    "Football",
    "News",
    "Tech",
    "Gaming",
    "Fitness",
    "Nature",
    "Books",
    "Movies",
    "Fashion",
    "Style",
    "Love",
    "Life",
    "Summer",
    "Winter",
    "Spring",
    "City",
    "Nature",
    "Science",
    "Health",
    "Climate",
    "Vote",
    "Local",
    "World",
    "Live",
    "Daily",
    "Throwback",
    "Goals",
    "Motivation",
    "Cats",
    "Dogs",
    "Garden",
    "Recipe",
    "Home",
    "Family",
    "Friends",
    "Vibes",
    "Mood",
    "Happy",
    "Weekend",
]
_TAG_CJK = ["日常", "美食", "旅行", "摄影", "今日", "週末", "カフェ", "ランチ", "猫", "音楽"]


@dataclass
class Hashtags:
    """Every hashtag of the world, in display form (``#BreakingNews``) and normalised
    (``breakingnews``), with the day each trending one peaks."""

    display: pa.Array
    norm: pa.Array
    rank: np.ndarray  # order of ``norm``, for sorted per-post lists
    evergreen: np.ndarray  # tag ids
    trending: list[np.ndarray]  # per day: ids of the tags trending that day

    def id_of(self, tag: str) -> int:
        norm = tag.lstrip("#＃").lower()
        return self._ids[norm]

    def lists_and_suffix(self, counts: np.ndarray, ids: np.ndarray) -> tuple[pa.Array, pa.Array]:
        """Per row: the sorted distinct normalised tags and the text suffix (" #A #B")."""
        n = len(counts)
        width = int(counts.max()) if n else 0
        if width == 0:
            return empty_lists(n), pa.array([""] * n, type=pa.string())
        big = np.iinfo(np.int64).max
        mat = np.full((n, width), big, dtype=np.int64)
        pos = np.arange(width)[None, :] < counts[:, None]
        mat[pos] = self.rank[ids]
        mat.sort(axis=1)
        dup = np.zeros_like(pos)
        dup[:, 1:] = mat[:, 1:] == mat[:, :-1]
        keep = (mat != big) & ~dup
        flat_rank = mat[keep]
        inv = np.empty_like(self.rank)
        inv[self.rank] = np.arange(len(self.rank))
        flat_ids = inv[flat_rank]
        lens = keep.sum(axis=1)
        offsets = np.concatenate([[0], np.cumsum(lens)]).astype(np.int32)
        lists = list_array(offsets, self.norm.take(pa.array(flat_ids)))
        shown = pa.ListArray.from_arrays(pa.array(offsets), self.display.take(pa.array(flat_ids)))
        suffix = pc.binary_join(shown, " ")
        suffix = pc.if_else(
            pc.equal(pa.array(lens), 0), "", pc.binary_join_element_wise(" ", suffix, "")
        )
        return lists, suffix

    def organic(
        self, rng: np.random.Generator, n: int, day: int, rate: float
    ) -> tuple[pa.Array, pa.Array]:
        counts = np.where(rng.random(n) < rate, rng.integers(1, 4, n), 0)
        total = int(counts.sum())
        trending = self.trending[min(day, len(self.trending) - 1)]
        use_trend = (rng.random(total) < 0.45) & (len(trending) > 0)
        ev = self.evergreen[_zipf_index(rng, len(self.evergreen), total)]
        tr = (
            trending[_zipf_index(rng, max(len(trending), 1), total) % max(len(trending), 1)]
            if len(trending)
            else ev
        )
        ids = np.where(use_trend, tr, ev)
        return self.lists_and_suffix(counts, ids)


def _zipf_index(rng: np.random.Generator, n: int, size: int, s: float = 1.0) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** s
    cdf = np.cumsum(w) / w.sum()
    return np.minimum(np.searchsorted(cdf, rng.random(size), side="right"), n - 1)


def build_hashtags(
    rng: np.random.Generator,
    n_evergreen: int,
    days: int,
    per_day: int,
    trend_days: int,
    special: list[str],
) -> Hashtags:
    words = _TAG_WORDS
    seen: dict[str, str] = {}

    def add(display: str) -> None:
        norm = display.lstrip("#＃").lower()
        seen.setdefault(norm, display if display.startswith(("#", "＃")) else "#" + display)

    for w in _TAG_CJK:
        add(w)
    while len(seen) < n_evergreen + len(_TAG_CJK) // 2:
        a, b = rng.choice(words, 2)
        add(a + (b if rng.random() < 0.6 else ""))
    evergreen_norms = list(seen)[:n_evergreen]
    trending_norms: list[list[str]] = []
    fresh: list[str] = []
    for _ in range(days + trend_days):
        batch = []
        for _ in range(per_day):
            a, b = rng.choice(words, 2)
            tag = f"{a}{b}{rng.integers(2, 99)}" if rng.random() < 0.3 else f"{a}{b}"
            norm = tag.lower()
            if norm not in seen:
                seen[norm] = "#" + tag
                batch.append(norm)
        fresh.append(batch)
    for d in range(days):
        window = [t for k in range(max(0, d - trend_days + 1), d + 1) for t in fresh[k]]
        trending_norms.append(window)
    for tag in special:
        add(tag)
    norms = list(seen)
    ids = {t: i for i, t in enumerate(norms)}
    order = np.argsort(np.array(norms, dtype=object), kind="stable")
    rank = np.empty(len(norms), dtype=np.int64)
    rank[order] = np.arange(len(norms))
    h = Hashtags(
        display=pa.array([seen[t] for t in norms], type=pa.string()),
        norm=pa.array(norms, type=pa.string()),
        rank=rank,
        evergreen=np.array([ids[t] for t in evergreen_norms], dtype=np.int64),
        trending=[np.array([ids[t] for t in w], dtype=np.int64) for w in trending_norms],
    )
    h._ids = ids  # type: ignore[attr-defined]
    return h


def tag_list(tags: list[str]) -> list[str]:
    """Normalised, sorted, distinct hashtags as the store keeps them."""
    return sorted({t.lstrip("#＃").lower() for t in tags})


def text_hashtags(text: str) -> list[str]:
    return tag_list(re.findall(r"(?:^|(?<=[^\w&/#]))[#＃](\w*[^\W\d]\w*)", text))


# -- news outlets and their articles ---------------------------------------------------

# Real outlets (domain, language). Organic users link to these; Doppelganger imitates them.
NEWS_OUTLETS = [
    ("reuters.com", "en"),
    ("apnews.com", "en"),
    ("bbc.co.uk", "en"),
    ("theguardian.com", "en"),
    ("nytimes.com", "en"),
    ("washingtonpost.com", "en"),
    ("cnn.com", "en"),
    ("foxnews.com", "en"),
    ("npr.org", "en"),
    ("aljazeera.com", "en"),
    ("scmp.com", "en"),
    ("spiegel.de", "de"),
    ("welt.de", "de"),
    ("bild.de", "de"),
    ("faz.net", "de"),
    ("sueddeutsche.de", "de"),
    ("lemonde.fr", "fr"),
    ("leparisien.fr", "fr"),
    ("lefigaro.fr", "fr"),
    ("elpais.com", "es"),
    ("clarin.com", "es"),
    ("globo.com", "pt"),
    ("folha.uol.com.br", "pt"),
    ("rbc.ru", "ru"),
    ("nhk.or.jp", "ja"),
    ("asahi.com", "ja"),
    ("yna.co.kr", "ko"),
    ("udn.com", "zh"),
    ("ltn.com.tw", "zh"),
    ("straitstimes.com", "en"),
]
_SECTIONS = ["world", "politics", "business", "sport", "culture", "tech", "science", "local"]
_SLUG_WORDS = [
    "government",
    "plans",
    "new",
    "rules",
    "city",
    "council",
    "votes",
    "budget",
    "storm",
    "hits",
    "coast",
    "market",
    "falls",
    "team",
    "wins",
    "final",
    "election",
    "results",
    "protest",
    "police",
    "report",
    "health",
    "study",
    "climate",
    "deal",
    "energy",
    "prices",
    "rise",
    "talks",
    "fail",
    "court",
    "rules",
    "against",
    "minister",
    "resigns",
    "company",
    "cuts",
    "jobs",
    "festival",
    "opens",
    "record",
    "heat",
    "train",
    "strike",
    "airport",
    "delays",
    "school",
    "reform",
    "housing",
    "crisis",
]


@dataclass
class Articles:
    """One day's articles: canonical URL, two originals (with ``www.`` / tracking), the
    domain, the headline, the outlet's language and the time it was published."""

    url: pa.Array
    original: pa.Array  # as shared: with www. and sometimes tracking parameters
    domain: pa.Array
    headline: pa.Array
    lang: np.ndarray
    outlet: np.ndarray
    published: np.ndarray
    popularity: np.ndarray


def make_articles(
    rng: np.random.Generator, outlets: list[tuple[str, str]], day: int, day_t0: int, per_outlet: int
) -> Articles:
    from datetime import UTC, datetime

    date = datetime.fromtimestamp(day_t0, UTC)
    urls, originals, domains, heads, langs, outs = [], [], [], [], [], []
    for o, (domain, lang) in enumerate(outlets):
        for _ in range(per_outlet):
            slug = "-".join(rng.choice(_SLUG_WORDS, int(rng.integers(3, 7))))
            art = int(rng.integers(10_000_000, 99_999_999))
            section = _SECTIONS[int(rng.integers(len(_SECTIONS)))]
            path = f"/{section}/{date:%Y/%m/%d}/{slug}-{art}"
            url = f"https://{domain}{path}"
            tracking = ["", "", "?utm_source=twitter&utm_medium=social", "?ref_src=share"][
                int(rng.integers(4))
            ]
            www = "www." if domain.count(".") == 1 else ""
            urls.append(url)
            originals.append(f"https://{www}{domain}{path}{tracking}")
            domains.append(domain)
            heads.append(_headline(rng, lang))
            langs.append(LANGUAGES.index(lang))
            outs.append(o)
    n = len(urls)
    pop = rng.pareto(1.2, n) + 0.05
    return Articles(
        url=pa.array(urls, type=pa.string()),
        original=pa.array(originals, type=pa.string()),
        domain=pa.array(domains, type=pa.string()),
        headline=pa.array(heads, type=pa.string()),
        lang=np.array(langs, dtype=np.int8),
        outlet=np.array(outs, dtype=np.int64),
        published=day_t0 + rng.integers(0, 86_400, n),
        popularity=pop / pop.sum(),
    )


def _headline(rng: np.random.Generator, lang: str) -> str:
    v = VOCAB[lang]
    k = int(rng.integers(5, 11))
    words = [v.words[int(i)].as_py() for i in np.searchsorted(v.cdf, rng.random(k))]
    text = v.sep.join(words)
    return text[:1].upper() + text[1:] if v.sep else text


def url_columns(originals: list[list[str]]) -> tuple[list, list, list]:
    """Canonical URLs and their domains (sorted, distinct) for lists of URLs as written."""
    urls, domains = [], []
    for row in originals:
        if row is None:
            urls.append(None)
            domains.append(None)
            continue
        canon = [canonical_url(u) for u in row]
        urls.append(canon)
        # The rule ingest applies (unmask.ingest.normalise): a domain is a host name.
        domains.append(sorted({d for d in map(url_domain, canon) if d}))
    return urls, originals, domains


# -- typosquats --------------------------------------------------------------------------

_SQUAT_TLDS = ["ltd", "ws", "pm", "work", "pics", "today", "co.com", "online", "life", "cfd"]


def typosquats(rng: np.random.Generator, domain: str, k: int) -> list[str]:
    """Look-alike domains of a real one: another TLD, a doubled or dropped letter, two
    letters swapped, an inserted hyphen, or the TLD glued to the name."""
    name, _, tld = domain.partition(".")
    out: list[str] = []
    methods = ["tld", "tld", "double", "drop", "swap", "hyphen", "glue"]
    tries = 0
    while len(out) < k and tries < 100:
        tries += 1
        m = methods[int(rng.integers(len(methods)))]
        if m == "tld":
            cand = f"{name}.{_SQUAT_TLDS[int(rng.integers(len(_SQUAT_TLDS)))]}"
        elif m == "double":
            i = int(rng.integers(len(name)))
            cand = f"{name[: i + 1]}{name[i]}{name[i + 1 :]}.{tld}"
        elif m == "drop" and len(name) > 4:
            i = int(rng.integers(1, len(name) - 1))
            cand = f"{name[:i]}{name[i + 1 :]}.{tld}"
        elif m == "swap" and len(name) > 3:
            i = int(rng.integers(0, len(name) - 1))
            cand = f"{name[:i]}{name[i + 1]}{name[i]}{name[i + 2 :]}.{tld}"
        elif m == "hyphen" and len(name) > 4:
            i = int(rng.integers(2, len(name) - 1))
            cand = f"{name[:i]}-{name[i:]}.{tld}"
        elif m == "glue":
            cand = (
                f"{name}-{tld.replace('.', '')}.{_SQUAT_TLDS[int(rng.integers(len(_SQUAT_TLDS)))]}"
            )
        else:
            continue
        if cand != domain and cand not in out:
            out.append(cand)
    return out


def edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


# -- typos and odd headlines -------------------------------------------------------------

_CONFUSABLE = dict(
    zip(
        "国台湾发说对这们为来时会过还进后么开关门长东车见话认让让",
        "國臺灣發說對這們為來時會過還進後麼開關門長東車見話認讓讓",
        strict=False,
    )
)
_HEADLINES = {
    "en": [
        "BREAKING!!",
        "Shocking truth:",
        "Must see!!!",
        "[Exclusive]",
        "WOW:",
        "Truth revealed -",
        "Urgent!",
    ],
    "zh": ["【重磅】", "【独家】", "震惊！", "【真相】", "速看！", "【突发】"],
    "ja": ["【速報】", "【衝撃】", "拡散希望！", "【独占】", "必見！"],
    "de": ["EILMELDUNG:", "Unglaublich:", "[Exklusiv]"],
    "fr": ["URGENT :", "Incroyable :", "[Exclusif]"],
}


def typo(rng: np.random.Generator, text: str, lang: str, n: int = 1) -> str:
    """``n`` small slips: a swapped, dropped, doubled or wrong character; in Chinese,
    sometimes a traditional character for a simplified one."""
    chars = list(text)
    for _ in range(n):
        if len(chars) < 4:
            break
        i = int(rng.integers(1, len(chars) - 1))
        op = int(rng.integers(5))
        if lang == "zh" and op == 4:
            hits = [j for j, c in enumerate(chars) if c in _CONFUSABLE]
            if hits:
                j = hits[int(rng.integers(len(hits)))]
                chars[j] = _CONFUSABLE[chars[j]]
                continue
        if op == 0:
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        elif op == 1:
            del chars[i]
        elif op == 2:
            chars.insert(i, chars[i])
        elif chars[i].isascii() and chars[i].isalpha():
            chars[i] = "qwertyuiopasdfghjklzxcvbnm"[int(rng.integers(26))]
        else:
            chars.insert(i, " ")
    return "".join(chars)


def odd_headline(rng: np.random.Generator, lang: str) -> str:
    pool = _HEADLINES.get(lang, _HEADLINES["en"])
    return pool[int(rng.integers(len(pool)))]


# -- narratives of the planted operations ----------------------------------------------

# narrative -> claims -> language -> phrasings (each with {n}, {place} or {critic} slots).
NARRATIVES: dict[str, list[dict[str, list[str]]]] = {
    "praise_china": [
        {
            "en": [
                "China's high-speed rail now links {n} cities, a miracle the West cannot match.",
                "With {n} cities joined by fast trains, China shows what real development looks like.",
                "{n} cities on one rail network: China builds while others only talk.",
            ],
            "zh": [
                "中国高铁已连接{n}座城市，这是西方无法比拟的奇迹。",
                "{n}座城市通高铁，中国用行动展示真正的发展。",
                "高铁连通{n}座城市：中国在建设，别人只会空谈。",
            ],
            "ja": [
                "中国の高速鉄道は{n}都市を結び、西側には真似できない奇跡だ。",
                "{n}の都市を高速鉄道で結ぶ中国、本当の発展とはこういうものだ。",
                "高速列車で{n}都市を結ぶ中国。建設する国と口だけの国の違い。",
            ],
        },
        {
            "en": [
                "In {place}, {n} families left poverty this year thanks to wise policies.",
                "Wise policies lifted {n} families in {place} out of poverty this year.",
                "This year {n} families in {place} escaped poverty. The model works.",
            ],
            "zh": [
                "在{place}，今年有{n}户家庭在好政策的帮助下脱贫。",
                "好政策让{place}今年{n}户家庭摆脱了贫困。",
                "今年{place}有{n}户家庭脱贫，这个模式行得通。",
            ],
            "ja": [
                "{place}では今年{n}世帯が賢明な政策のおかげで貧困から抜け出した。",
                "賢い政策で{place}の{n}世帯が今年貧困を脱した。",
                "今年{place}で{n}世帯が貧困を脱出。このモデルは機能している。",
            ],
        },
        {
            "en": [
                "China has never started a war. Peace and harmony are its gift to {n} nations.",
                "Peace and cooperation with {n} nations: China's way is not war.",
                "{n} nations trade with China in peace. Who is the real threat?",
            ],
            "zh": [
                "中国从未发动战争，和平与和谐是送给{n}个国家的礼物。",
                "与{n}个国家和平合作：中国的道路不是战争。",
                "{n}个国家与中国和平贸易，谁才是真正的威胁？",
            ],
            "ja": [
                "中国は戦争を始めたことがない。平和と調和は{n}カ国への贈り物だ。",
                "{n}カ国との平和な協力、中国の道は戦争ではない。",
                "{n}カ国が中国と平和に貿易している。本当の脅威は誰か？",
            ],
        },
    ],
    "attack_us": [
        {
            "en": [
                "{n} shootings in {place} this month. This is American 'freedom'.",
                "American 'freedom': {n} shootings this month in {place} alone.",
                "Another month, {n} shootings in {place}. The US cannot protect its own people.",
            ],
            "zh": [
                "{place}本月发生{n}起枪击案，这就是美国式的“自由”。",
                "美式“自由”：仅{place}本月就有{n}起枪击案。",
                "又一个月，{place}{n}起枪击，美国连自己的人民都保护不了。",
            ],
            "ja": [
                "今月{place}で{n}件の銃撃事件。これがアメリカの「自由」だ。",
                "アメリカ式の「自由」：{place}だけで今月{n}件の銃撃。",
                "また{place}で{n}件の銃撃。米国は自国民すら守れない。",
            ],
        },
        {
            "en": [
                "The US debt passes {n} trillion. The empire is collapsing from inside.",
                "{n} trillion in debt: the American empire is rotting from within.",
                "With debt over {n} trillion, how long can Washington pretend?",
            ],
            "zh": [
                "美国债务突破{n}万亿，帝国正在从内部崩塌。",
                "{n}万亿债务：美帝国正在从内部腐烂。",
                "债务超过{n}万亿，华盛顿还能装多久？",
            ],
            "ja": [
                "米国の債務が{n}兆を突破。帝国は内側から崩壊している。",
                "{n}兆の債務、アメリカ帝国は内部から腐っている。",
                "債務{n}兆超え、ワシントンはいつまで取り繕えるのか。",
            ],
        },
        {
            "en": [
                "US military bases in {n} countries. Who is the real aggressor?",
                "{n} countries host US bases. Hegemony, not democracy.",
                "Why does the US need bases in {n} countries? Ask yourself.",
            ],
            "zh": [
                "美国在{n}个国家有军事基地，谁才是真正的侵略者？",
                "{n}个国家驻有美军基地，这是霸权不是民主。",
                "美国为什么需要在{n}个国家建基地？问问你自己。",
            ],
            "ja": [
                "米軍基地は{n}カ国に。本当の侵略者は誰か？",
                "{n}カ国に米軍基地。民主主義ではなく覇権だ。",
                "なぜ米国は{n}カ国に基地が必要なのか？考えてみよう。",
            ],
        },
    ],
    "attack_critics": [
        {
            "en": [
                "{critic} is paid by foreign money to smear China. Exposed!",
                "Exposed: {critic} takes foreign money to attack China.",
                "Who pays {critic}? Follow the money behind the lies about China.",
            ],
            "zh": [
                "{critic}拿外国的钱抹黑中国，真面目曝光！",
                "曝光：{critic}收受境外资金攻击中国。",
                "谁在给{critic}付钱？看看这些谎言背后的金主。",
            ],
            "ja": [
                "{critic}は外国の金で中国を中傷している。暴露！",
                "暴露：{critic}は外国資金を受け取り中国を攻撃。",
                "{critic}に金を払っているのは誰か？嘘の裏の金の流れ。",
            ],
        },
        {
            "en": [
                "{critic} lied again about {place}. Nobody believes this fraud anymore.",
                "Another lie from {critic} about {place}. What a fraud.",
                "{critic}'s story about {place} is fake. Stop spreading it.",
            ],
            "zh": [
                "{critic}又在{place}问题上撒谎，没人再相信这个骗子。",
                "{critic}关于{place}的又一个谎言，真是骗子。",
                "{critic}讲的{place}的故事是假的，别再传了。",
            ],
            "ja": [
                "{critic}がまた{place}について嘘をついた。もう誰も信じない。",
                "{place}についての{critic}の新たな嘘。詐欺師だ。",
                "{critic}の{place}の話は偽物だ。広めるのをやめよう。",
            ],
        },
    ],
}
NARRATIVE_TAGS = {
    "praise_china": ["#China", "#中国", "#Peace"],
    "attack_us": ["#USA", "#America", "#美国"],
    "attack_critics": ["#Truth", "#真相", "#Exposed"],
}
# Fictional critics: the operation's named targets.
CRITICS = {
    "en": ["Martin Kessler", "Dr. Helen Marsh", "Tom Reyes", "Lin Yuhang"],
    "zh": ["马丁·凯斯勒", "海伦·马什博士", "汤姆·雷耶斯", "林宇航"],
    "ja": ["マーティン・ケスラー", "ヘレン・マーシュ博士", "トム・レイエス", "林宇航"],
}
PLACES = {
    "en": ["Chicago", "New York", "Texas", "Yunnan", "Gansu", "Xinjiang", "Tibet", "Guizhou"],
    "zh": ["芝加哥", "纽约", "德州", "云南", "甘肃", "新疆", "西藏", "贵州"],
    "ja": ["シカゴ", "ニューヨーク", "テキサス", "雲南", "甘粛", "新疆", "チベット", "貴州"],
}
_CLOSERS = {
    "en": ["", "", " Share!", " Wake up.", " The truth will win.", " Think about it."],
    "zh": ["", "", "转发！", "醒醒吧。", "真相必胜。", "大家想想。"],
    "ja": ["", "", "拡散！", "目を覚ませ。", "真実は勝つ。", "考えてみて。"],
}
_SYNONYMS = {
    "en": {
        "miracle": ["wonder", "marvel"],
        "real": ["true", "genuine"],
        "cities": ["cities", "towns"],
        "lies": ["falsehoods", "lies"],
        "people": ["citizens", "people"],
        "shows": ["proves", "shows"],
    },
    "zh": {"奇迹": ["神话", "奇迹"], "真正": ["真实", "真正"], "谎言": ["假话", "谎言"]},
    "ja": {"奇跡": ["驚異", "奇跡"], "本当": ["真", "本当"], "嘘": ["虚偽", "嘘"]},
}
SPAM_COMMENTS = {
    "en": [
        "Well said!",
        "So true, share this",
        "The truth hurts the US",
        "Exactly!!",
        "Great post",
        "Agree 100%",
    ],
    "zh": ["说得太好了！", "支持！", "真相大白", "转发了", "说得对", "顶！"],
    "ja": ["その通り！", "拡散希望", "真実だ", "同意します", "素晴らしい"],
    "de": ["Genau so!", "Teilen!", "Endlich sagt es jemand", "Unglaublich"],
    "fr": ["Exactement !", "À partager", "Enfin la vérité", "Incroyable"],
}


@dataclass
class Message:
    """One piece of an operation's content: a claim of a narrative with its details."""

    narrative: str
    claim: int
    phrasing: int
    lang: str
    slots: dict[str, str]
    closer: int
    place: int = 0  # index into PLACES[lang]: a translation names the same place
    critic: int = 0  # index into CRITICS[lang]

    def text(self) -> str:
        claims = NARRATIVES[self.narrative][self.claim][self.lang]
        body = claims[self.phrasing % len(claims)].format(**self.slots)
        closers = _CLOSERS[self.lang]
        return body + closers[self.closer % len(closers)]


def new_message(rng: np.random.Generator, narrative: str, lang: str) -> Message:
    claims = NARRATIVES[narrative]
    c = int(rng.integers(len(claims)))
    n = str(int(rng.integers(12, 900)))
    place = int(rng.integers(len(PLACES[lang])))
    critic = int(rng.integers(len(CRITICS[lang])))
    slots = {"n": n, "place": PLACES[lang][place], "critic": CRITICS[lang][critic]}
    return Message(
        narrative, c, int(rng.integers(3)), lang, slots, int(rng.integers(6)), place, critic
    )


def translate(msg: Message, lang: str) -> Message:
    """The message machine-translated: the same claim, phrasing, number and closer, its place
    and critic named in ``lang``."""
    slots = {
        "n": msg.slots["n"],
        "place": PLACES[lang][msg.place % len(PLACES[lang])],
        "critic": CRITICS[lang][msg.critic % len(CRITICS[lang])],
    }
    return Message(
        msg.narrative, msg.claim, msg.phrasing, lang, slots, msg.closer, msg.place, msg.critic
    )


def paraphrase(rng: np.random.Generator, msg: Message, strength: float = 0.0) -> str:
    """The same claim in other words: another phrasing, another closer, synonyms swapped;
    with ``strength`` > 0 also reordered, reworded and with clauses added and dropped."""
    if strength > 0:
        pool = NARRATIVES[msg.narrative][msg.claim][msg.lang]
        k = len(pool)
        body = pool[(msg.phrasing + 1 + int(rng.integers(max(k - 1, 1)))) % k]
        support = [c.format(**msg.slots) for c in SUPPORT[msg.narrative][msg.lang]]
        closers = [c.strip() for c in _CLOSERS[msg.lang] if c.strip()]
        return rewrite(rng, body.format(**msg.slots), msg.lang, strength, support, closers)
    other = Message(
        msg.narrative,
        msg.claim,
        (msg.phrasing + 1 + int(rng.integers(2))) % 3,
        msg.lang,
        msg.slots,
        msg.closer + 1 + int(rng.integers(5)),
    )
    text = other.text()
    for word, subs in _SYNONYMS.get(msg.lang, {}).items():
        if word in text and rng.random() < 0.7:
            text = text.replace(word, subs[int(rng.integers(len(subs)))], 1)
    return text


def copy_text(
    rng: np.random.Generator,
    msg: Message,
    typo_rate: float,
    headline_rate: float,
    paraphrase_rate: float,
    strength: float = 0.0,
) -> str:
    """One copy of a message as an operation's account posts it."""
    text = paraphrase(rng, msg, strength) if rng.random() < paraphrase_rate else msg.text()
    if rng.random() < typo_rate:
        text = typo(rng, text, msg.lang, int(rng.integers(1, 3)))
    if rng.random() < headline_rate:
        text = odd_headline(rng, msg.lang) + " " + text
    return text


# -- strong paraphrase -------------------------------------------------------------------

_UNSPACED = ("zh", "ja")
_STOP = {"zh": "。", "ja": "。"}


def _segments(text: str, lang: str) -> list[str]:
    """Sentence-like units (a lone sentence is cut at its commas), without their ending."""
    if lang in _UNSPACED:
        parts = re.split(r"(?<=[。！？：；])", text)
        if len([p for p in parts if p.strip()]) < 2:
            parts = re.split(r"(?<=[，、])", text)
    else:
        parts = []
        for piece in re.split(r"(?<=[.!?:;])\s+", text):
            # "EE. UU. supera": a full stop before a small letter ends no sentence.
            if parts and piece[:1].islower():
                parts[-1] += " " + piece
            else:
                parts.append(piece)
        if len(parts) < 2:
            parts = re.split(r"(?<=,)\s+", text)
    return [
        p.strip().rstrip(",.;:，。；：、 ") for p in parts if p.strip().rstrip(",.;:，。；：、 ")
    ]


def _join(segs: list[str], lang: str) -> str:
    out = []
    for seg in segs:
        if lang not in _UNSPACED and seg[:1].islower():
            seg = seg[:1].upper() + seg[1:]
        if not seg.endswith(("?", "!", "？", "！", "…", "?»", "»")):
            seg += _STOP.get(lang, ".")
        out.append(seg)
    return ("" if lang in _UNSPACED else " ").join(out)


_SYN_CACHE: dict[str, tuple[re.Pattern[str], dict[str, list[str]]]] = {}


def _synonym_table(lang: str) -> tuple[re.Pattern[str], dict[str, list[str]]]:
    if lang not in _SYN_CACHE:
        groups: dict[str, list[str]] = {}
        for group in STRONG_SYNONYMS[lang]:
            for word in group:
                groups.setdefault(word.lower(), group)
        words = sorted(groups, key=len, reverse=True)
        alt = "|".join(re.escape(w) for w in words)
        # Korean attaches particles and CJK has no spaces: match inside words there.
        pat = alt if lang in ("zh", "ja", "ko") else rf"(?<!\w)(?:{alt})(?!\w)"
        _SYN_CACHE[lang] = (re.compile(pat, re.IGNORECASE), groups)
    return _SYN_CACHE[lang]


def swap_synonyms(rng: np.random.Generator, text: str, lang: str, p: float) -> str:
    """Each word of the language's synonym sets, with probability ``p``, said another way."""
    pattern, groups = _synonym_table(lang)

    def sub(m: re.Match[str]) -> str:
        word = m.group(0)
        if rng.random() >= p:
            return word
        others = [w for w in groups[word.lower()] if w.lower() != word.lower()]
        new = others[int(rng.integers(len(others)))]
        return new[:1].upper() + new[1:] if word[:1].isupper() else new

    return pattern.sub(sub, text)


def rewrite(
    rng: np.random.Generator,
    text: str,
    lang: str,
    strength: float,
    support: list[str],
    closers: list[str],
) -> str:
    """A strong paraphrase of ``text``: with probability ``strength`` each, a sentence or
    clause dropped, supporting clauses added, the order shuffled and the closer moved to
    the front; every synonym-set word swapped with probability ``strength``."""
    segs = _segments(text, lang)
    if len(segs) > 1 and rng.random() < strength / 2:
        # Keep the sentence that carries the number: the claim stays the claim.
        droppable = [i for i, s in enumerate(segs) if not re.search(r"\d", s)]
        if droppable:
            del segs[droppable[int(rng.integers(len(droppable)))]]
    pool = list(support)
    for _ in range(2):
        if pool and rng.random() < strength:
            clause = pool.pop(int(rng.integers(len(pool))))
            segs.insert(int(rng.integers(len(segs) + 1)), clause.rstrip(".。"))
    if len(segs) > 1 and rng.random() < strength:
        segs = [segs[i] for i in rng.permutation(len(segs))]
    if closers and rng.random() < 1 - strength / 2:
        closer = closers[int(rng.integers(len(closers)))]
        if rng.random() < strength / 2:
            segs.insert(0, closer.rstrip(".。"))
        else:
            segs.append(closer.rstrip(".。"))
    return swap_synonyms(rng, _join(segs, lang), lang, strength)


# -- Doppelganger teasers ----------------------------------------------------------------

TEASERS = {
    "de": [
        "Sanktionen treffen uns härter als Russland: {n} Betriebe vor dem Aus",
        "Energiepreise: {n} Prozent mehr – und die Regierung schweigt",
        "Warum zahlen wir {n} Milliarden für einen fremden Krieg?",
    ],
    "fr": [
        "Sanctions : {n} entreprises françaises au bord de la faillite",
        "Énergie : la facture grimpe de {n} % et Paris se tait",
        "Pourquoi payer {n} milliards pour une guerre qui n'est pas la nôtre ?",
    ],
    "en": [
        "Sanctions backfire: {n} European factories close their doors",
        "Energy bills up {n}% while leaders look away",
        "Why are taxpayers sending {n} billion abroad?",
    ],
}
TEASER_PATHS = {
    "de": ["politik/deutschland", "wirtschaft", "ausland"],
    "fr": ["politique", "economie", "international"],
    "en": ["world/europe", "business", "politics"],
}


def teaser(
    rng: np.random.Generator,
    lang: str,
    n: int,
    variant: int | None = None,
    strength: float = 0.0,
) -> str:
    """An article's teaser; ``strength`` > 0 rewrites it (a strong paraphrase)."""
    pool = TEASERS[lang]
    v = int(rng.integers(len(pool))) if variant is None else variant % len(pool)
    text = pool[v].format(n=n)
    if strength > 0:
        text = rewrite(rng, text, lang, strength, SUPPORT["teaser"][lang], [])
    return text


# -- the careful operation's voice (paraphrase everything) -----------------------------

# Each theme is said in four parts, each with many wordings: a paraphrase picks each part
# anew, so two posts of one message share a few words, not their text.
CAREFUL_THEMES: dict[str, list[list[str]]] = {
    "cost_of_living": [
        [
            "groceries",
            "my weekly shop",
            "the food bill",
            "a cart of basics",
            "eggs and milk",
            "the rent",
            "my power bill",
        ],
        [
            "cost {n} dollars more than last year",
            "went up by {n} bucks",
            "is up {n}% since spring",
            "now eats {n} more of every paycheck",
            "jumped {n} percent in a few months",
            "takes {n} dollars more every single week",
        ],
        [
            "and nobody in charge seems to care",
            "yet they keep saying the economy is strong",
            "while officials pat themselves on the back",
            "but sure, everything is fine",
            "and the news barely mentions it",
            "as if working families don't exist",
        ],
        [
            "",
            "families here are done waiting",
            "people on my street feel it too",
            "who is this economy for",
            "something has to give",
            "I'm tired of pretending",
        ],
    ],
    "foreign_aid": [
        [
            "we keep sending billions overseas",
            "another aid package went abroad",
            "money flies out of the country",
            "foreign aid got approved again",
            "overseas spending keeps growing",
            "billions leave for other countries",
        ],
        [
            "while {n} local schools are falling apart",
            "yet {n} bridges here need repairs",
            "but {n} veterans still wait for care",
            "and {n} clinics nearby just closed",
            "while {n} roads in this state crumble",
            "yet {n} towns here lost their bus line",
        ],
        [
            "and no one asked us",
            "without a single vote from us",
            "and they call it leadership",
            "and we're told to be grateful",
            "as if we don't count",
            "with zero accountability",
        ],
        [
            "",
            "priorities matter",
            "charity begins at home",
            "fix home first",
            "just saying",
            "think about that",
        ],
    ],
    "media_distrust": [
        [
            "the big networks",
            "the usual outlets",
            "cable news",
            "the national papers",
            "every major channel",
            "the morning shows",
        ],
        [
            "ignored a story {n} of us saw with our own eyes",
            "skipped what {n} people here witnessed",
            "buried {n} reports that contradict them",
            "dropped {n} stories overnight",
            "never asked about the {n} complaints",
            "missed {n} facts anyone could check",
        ],
        [
            "and nobody asks why",
            "funny how that works",
            "and then they wonder why trust is gone",
            "which tells you everything",
            "same as always",
            "and we're supposed to just accept it",
        ],
        [
            "",
            "do your own reading",
            "question everything",
            "follow the money",
            "look it up yourself",
            "stay curious",
        ],
    ],
}
CAREFUL_KEYWORDS = sorted({w for parts in CAREFUL_THEMES.values() for w in parts[0]})
_CAREFUL_OPEN = [
    "Honestly,",
    "Not gonna lie,",
    "Just saying:",
    "Real talk:",
    "So apparently",
    "Look,",
    "Hmm.",
    "Ok so",
    "",
    "",
    "",
]
_CAREFUL_CLOSE = ["", "", "", "Thoughts?", "Just me?", "Sad.", "We deserve better.", "🤷"]


def careful_text(
    rng: np.random.Generator, theme: str, n: int, lang: str = "en", strength: float = 0.0
) -> str:
    """One persona's wording of a theme: every part is picked anew (a paraphrase); with
    ``strength`` > 0 the coda sometimes comes first."""
    if lang == "en":
        themes, opens, closes = CAREFUL_THEMES, _CAREFUL_OPEN, _CAREFUL_CLOSE
    else:
        themes, opens, closes = (
            CAREFUL_MORE[lang],
            CAREFUL_OPEN_MORE[lang],
            CAREFUL_CLOSE_MORE[lang],
        )
    sep = "" if lang in _UNSPACED else " "
    stop = _STOP.get(lang, ".")
    parts = [p[int(rng.integers(len(p)))] for p in themes[theme]]
    body = sep.join(x for x in parts if x).format(n=n)
    o = opens[int(rng.integers(len(opens)))]
    c = closes[int(rng.integers(len(closes)))]
    text = f"{o}{sep}{body}" if o else body[:1].upper() + body[1:]
    text += stop if rng.random() < 0.6 else ""
    if strength > 0 and parts[-1] and rng.random() < strength:
        # Reordered: the coda opens the post as a sentence of its own.
        coda = parts[-1].strip("。 ")
        rest = sep.join(x for x in parts[:-1] if x).format(n=n).rstrip("，、,")
        rest = f"{o}{sep}{rest}" if o else rest
        text = f"{coda[:1].upper()}{coda[1:]}{stop}{sep}{rest}{stop}"
    return f"{text}{sep}{c}".strip()


# -- the other languages (texts.py): merged so that no language falls back to English ------

for _nar, _claims in NARRATIVES_MORE.items():
    for _claim, _more in zip(NARRATIVES[_nar], _claims, strict=True):
        _claim.update(_more)
CRITICS.update(CRITICS_MORE)
PLACES.update(PLACES_MORE)
_CLOSERS.update(CLOSERS_MORE)
_SYNONYMS.update(SYNONYMS_MORE)
SPAM_COMMENTS.update(SPAM_COMMENTS_MORE)
_HEADLINES.update(HEADLINES_MORE)
TEASERS.update(TEASERS_MORE)
TEASER_PATHS.update(TEASER_PATHS_MORE)

# -- hard negatives ----------------------------------------------------------------------

ACTIVIST_TOOLKIT = [
    "Our river is dying. Stop the dredging of the Oder now! {tag}",
    "Fish are dying by the ton. We demand a halt to the Oder works. {tag}",
    "The Oder is not a canal. Protect it for our children. {tag}",
    "Unser Fluss stirbt. Stoppt den Ausbau der Oder jetzt! {tag}",
    "Tonnen toter Fische. Wir fordern den Stopp der Bauarbeiten an der Oder. {tag}",
]
FANDOM_CHANTS = [
    "NOVA7 WE LOVE YOU 💜💜💜 {tags}",
    "STREAM STARFALL NOW!! {tags} 🌟",
    "nova7 fighting!! so proud of you {tags}",
    "노바세븐 사랑해 💜 {tags}",
    "NOVA7大好き！カムバおめでとう {tags}",
    "10M VIEWS LET'S GO {tags} 💜🌟",
    "the vocals on starfall?? unreal {tags}",
]
# A fan club of a (fictional) streamer and singer, Lumi.
FAN_CLUB_CHANTS = [
    "happy LUMI day!!! we love you 💖 {tags}",
    "stream tonight at 8, everyone be there {tags}",
    "lumi deserves the world, vote vote vote {tags} 🗳️",
    "ルミちゃん大好き！ {tags}",
    "루미 사랑해 💖 {tags}",
    "3 years of lumi and still the best voice {tags}",
    "trending soon, keep posting!! {tags} ✨",
]
BREAKING_TAGS = ["#earthquake", "#breaking", "#BreakingNews", "#storm"]

# Journalists' bios, by language ({outlet} = the outlet's domain).
NEWSROOM_BIOS = {
    "en": [
        "Reporter at {outlet}. Views my own.",
        "Political correspondent, {outlet}",
        "Senior editor @ {outlet} | tips welcome, DMs open",
        "Data journalist at {outlet}. Charts, maps, coffee.",
        "Covering climate and energy for {outlet}",
        "Reporter at {outlet}. RTs are not endorsements.",
    ],
    "de": [
        "Redakteurin bei {outlet}. Meinung privat.",
        "Reporter bei {outlet} | Politik, Wirtschaft",
        "Korrespondent für {outlet}. Hinweise gern per DM.",
        "Datenjournalismus @ {outlet}",
    ],
    "fr": [
        "Journaliste à {outlet}. Avis personnels.",
        "Reporter politique, {outlet}",
        "Rédactrice en chef adjointe @ {outlet}",
    ],
    "es": ["Periodista en {outlet}. Opiniones propias.", "Corresponsal de {outlet}"],
    "pt": ["Repórter da {outlet}. Opiniões pessoais.", "Editora de política, {outlet}"],
    "ru": ["Корреспондент {outlet}. Мнение личное.", "Редактор отдела политики, {outlet}"],
    "ja": ["{outlet} 記者。発言は個人の見解です。", "{outlet} 政治部"],
    "ko": ["{outlet} 기자. 개인 의견입니다.", "{outlet} 정치부 기자"],
    "zh": ["{outlet} 記者，言論僅代表個人", "{outlet} 編輯"],
}

# Brands an agency runs: name parts and the kinds of business they are.
BRAND_NAMES = [
    "Luna",
    "Northwind",
    "Blue Harbor",
    "Maple & Co",
    "Urban Roots",
    "Golden Fork",
    "Peak",
    "Bright Smile",
    "Velvet",
    "Cedar",
    "Copper Kettle",
    "Riverside",
    "Sunny Side",
    "Oak & Iron",
    "Little Fox",
    "Harbor Light",
]
BRAND_TRADES = {
    "Bakery": "Fresh sourdough and pastries, baked every morning since {year}.",
    "Fitness": "Classes, personal training and a community that shows up. Since {year}.",
    "Dental": "Gentle family dentistry. New patients welcome!",
    "Coffee": "Specialty coffee, roasted in-house since {year}.",
    "Bikes": "Sales, repairs and rentals. Ride more since {year}.",
    "Spa": "Massage, facials and calm. Book online.",
    "Books": "Independent bookshop since {year}. Events every week.",
    "Pet Supplies": "Everything for your furry family. Since {year}.",
    "Florist": "Flowers for every day and every occasion.",
    "Pizza": "Wood-fired pizza, made to order since {year}.",
    "Realty": "Helping families find home since {year}.",
    "Auto Care": "Honest repairs, fair prices, since {year}.",
}
# A scheduling tool's templates: the same text for every client with the name swapped in.
AGENCY_TEMPLATES = {
    "en": [
        "Big weekend sale at {client}! Up to {pct}% off everything until Sunday 🎉 {tags}",
        "New week, new goals 💪 Stop by {client} and see what's new! {tags}",
        "Happy {weekday}! ☀️ Tag someone who needs a treat from {client} today. {tags}",
        "We're hiring! Join the {client} team. Apply via the link in our bio. {tags}",
        "Thank you for 10 amazing years with {client} ❤️ Here's to the next ten! {tags}",
        "Don't miss out: {pct}% off for our followers this week only at {client}. {tags}",
        "Behind the scenes at {client} 👀 Meet the people who make it happen. {tags}",
        "Giveaway time at {client}! 🎁 Like, share and comment to win. {tags}",
    ],
    "de": [
        "Großer Wochenend-Sale bei {client}! Bis zu {pct}% auf alles bis Sonntag 🎉 {tags}",
        "Neue Woche, neue Ziele 💪 Schaut bei {client} vorbei! {tags}",
        "Wir stellen ein! Werde Teil des {client}-Teams. Link in der Bio. {tags}",
        "Gewinnspiel bei {client}! 🎁 Liken, teilen, kommentieren und gewinnen. {tags}",
    ],
}
AGENCY_TAGS = ["#sale", "#weekend", "#shoplocal", "#giveaway", "#smallbusiness", "#deals"]

# A (fictional) election campaign's toolkit for its volunteers, by language.
CAMPAIGN_TOOLKIT = {
    "en": [
        "I'm voting for Dana Whitfield because she'll fix our roads and fund our schools. {tag}",
        "Early voting starts Monday! Find your polling place: https://whitfieldforsenate.org/vote {tag}",
        "Dana Whitfield has knocked on 10,000 doors. She listens. Join us! {tag}",
        "Proud to volunteer for Dana Whitfield. Lower costs, better jobs, safer streets. {tag}",
        "Ask me why I'm voting Whitfield 🗳️ {tag}",
    ],
    "es": [
        "Voto por Dana Whitfield porque arreglará nuestras calles y apoyará nuestras escuelas. {tag}",
        "¡La votación anticipada empieza el lunes! https://whitfieldforsenate.org/vota {tag}",
        "Orgulloso de ser voluntario de Dana Whitfield. {tag}",
    ],
    "de": [
        "Ich wähle Dana Whitfield: bessere Schulen, sichere Straßen. {tag}",
        "Stolz, für Dana Whitfield im Wahlkampf zu helfen. Mach mit! {tag}",
    ],
}
