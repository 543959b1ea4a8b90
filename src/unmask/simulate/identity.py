"""Who an account says it is: ids, handles, display names, profile images and bios.

Every attribute is a pure function of (seed, account index, style), computed vectorised with
a counter-based hash (splitmix64), so nothing per account has to be kept in memory and an
account's handle is the same wherever it is needed (its profile, a mention of it).

Handle styles:

* ``ordinary``: what people pick: ``maria_lopez``, ``jsmith84``, ``coffee_and_code``;
* ``name_digits``: a first and last name and eight digits, as platforms suggest to an
  account made in a hurry: ``ZoeRich28859010``;
* ``random``: a random string of letters and digits: ``kQ8zTw2mXb``;
* ``page``: the name of a page, group, channel or blog: ``DailyHarbourNews``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from unmask.simulate.scenario import LANGUAGES

HANDLE_STYLES = ("ordinary", "name_digits", "random", "page")
_MASK40 = (1 << 40) - 1
_MASK52 = (1 << 52) - 1
ACCOUNT_ID_BASE = 1_000_000_000_000
ACTIVITY_ID_BASE = 1_000_000_000_000_000


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a bijective, well-mixed hash of uint64 values."""
    z = np.asarray(x, dtype=np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def hash64(seed: int, salt: int, idx: np.ndarray) -> np.ndarray:
    key = mix64(np.array([seed * 1_000_003 + salt], dtype=np.uint64))[0]
    return mix64(np.asarray(idx, dtype=np.uint64) ^ key)


def _permute(x: np.ndarray, seed: int, mask: int, shift: int) -> np.ndarray:
    """A bijection of [0, mask] (multiply by odd constants and xor-shift), so that ids carry
    no trace of the order in which the simulator made the entities."""
    z = np.asarray(x, dtype=np.uint64)
    m = np.uint64(mask)
    k = np.uint64((mix64(np.array([seed], dtype=np.uint64))[0] & np.uint64(mask)) | np.uint64(1))
    z = (z * np.uint64(0x9E3779B97F4A7C15 | 1)) & m
    z ^= k
    z ^= z >> np.uint64(shift)
    z = (z * np.uint64(0xBF58476D1CE4E5B9)) & m
    z ^= z >> np.uint64(shift - 3)
    return z.astype(np.int64)


def account_ids(seed: int, idx: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(_permute(idx, seed, _MASK40, 21) + ACCOUNT_ID_BASE), pa.string())


def activity_ids(seed: int, counters: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    values = _permute(np.maximum(counters, 0), seed + 7, _MASK52, 27) + ACTIVITY_ID_BASE
    return pc.cast(pa.array(values, mask=mask), pa.string())


# -- names ------------------------------------------------------------------------------

_FIRST = {
    "en": "james mary john patricia robert jennifer michael linda william elizabeth david "
    "barbara richard susan joseph jessica thomas sarah charles karen chris nancy daniel lisa "
    "matthew betty anthony sandra mark ashley paul emily steven donna andrew michelle josh "
    "amanda kevin melissa brian deborah george stephanie tim rebecca ryan laura jacob sharon "
    "gary cynthia nick kathleen eric amy jonathan angela zoe olivia liam emma noah ava ethan "
    "mia lucas chloe owen grace",
    "es": "jose maria juan carmen carlos ana luis laura javier lucia miguel sofia pablo elena "
    "diego paula alejandro marta sergio isabel jorge andrea manuel rosa",
    "de": "lukas anna leon lena finn marie jonas sophie paul laura felix julia max hannah "
    "jan lea tim clara moritz emma niklas johanna tobias katrin",
    "fr": "louis camille hugo lea lucas manon jules chloe gabriel ines arthur sarah nathan "
    "emma theo julie antoine claire mathis pauline victor margaux",
    "pt": "joao ana pedro mariana lucas beatriz gabriel julia rafael larissa mateus camila "
    "thiago fernanda bruno leticia",
    "ru": "ivan olga dmitry anna sergei elena alexei maria nikolai tatiana andrei natalia "
    "mikhail irina pavel svetlana",
    "zh": "wei fang lei jing min yan jun li hui xin hao yu ting chen kai ling tao mei qiang "
    "xiu peng yun bo na",
    "ja": "haruto yui sota hina yuto aoi riku yuna kaito sakura ren mio takumi rin daiki "
    "saki kenta ayaka shota miyu",
    "ko": "minjun seoyeon jiho jiwoo doyun haeun seojun yerin hajun soyeon jimin yuna",
}
_LAST = {
    "en": "smith johnson williams brown jones garcia miller davis rodriguez martinez wilson "
    "anderson taylor thomas moore jackson martin lee thompson white harris clark lewis "
    "robinson walker young allen king wright scott hill green adams baker nelson carter "
    "mitchell rich hall rivera campbell parker evans edwards collins stewart morris",
    "es": "garcia fernandez gonzalez rodriguez lopez martinez sanchez perez gomez martin "
    "jimenez ruiz hernandez diaz moreno alvarez romero navarro",
    "de": "mueller schmidt schneider fischer weber meyer wagner becker schulz hoffmann koch "
    "richter klein wolf schroeder neumann braun zimmermann",
    "fr": "martin bernard thomas petit robert richard durand dubois moreau laurent simon "
    "michel lefebvre leroy roux david bertrand morel",
    "pt": "silva santos oliveira souza rodrigues ferreira alves pereira lima gomes costa "
    "ribeiro martins carvalho",
    "ru": "ivanov smirnov kuznetsov popov vasiliev petrov sokolov mikhailov novikov fedorov "
    "morozov volkov",
    "zh": "wang li zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo lin he gao luo",
    "ja": "sato suzuki takahashi tanaka watanabe ito yamamoto nakamura kobayashi kato "
    "yoshida yamada sasaki yamaguchi matsumoto",
    "ko": "kim lee park choi jung kang cho yoon jang lim han oh",
}
# Display names in the script people use for them.
_DISPLAY = {
    "zh": (
        "伟 芳 磊 静 敏 燕 军 丽 慧 鑫 浩 宇 婷 晨 凯 玲 涛 美 强 秀 鹏 云 波 娜 明 华 建 国 平 红",
        "王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 林 何 高 罗",
    ),
    "ja": (
        "陽翔 結衣 蒼太 陽菜 悠斗 葵 陸 結菜 海斗 さくら 蓮 美桜 拓海 凛 大輝 咲 健太 彩花 翔太 美優",
        "佐藤 鈴木 高橋 田中 渡辺 伊藤 山本 中村 小林 加藤 吉田 山田 佐々木 山口 松本",
    ),
    "ko": (
        "민준 서연 지호 지우 도윤 하은 서준 예린 하준 소연 지민 유나",
        "김 이 박 최 정 강 조 윤 장 임 한 오",
    ),
    "ru": (
        "Иван Ольга Дмитрий Анна Сергей Елена Алексей Мария Николай Татьяна Андрей Наталья",
        "Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков Федоров",
    ),
}
_WORDS = [
    "coffee",
    "travel",
    "music",
    "photo",
    "art",
    "book",
    "green",
    "city",
    "ocean",
    "river",
    "mountain",
    "sunny",
    "blue",
    "pixel",
    "code",
    "garden",
    "vintage",
    "urban",
    "wild",
    "daily",
    "happy",
    "little",
    "cosmic",
    "lunar",
    "solar",
    "golden",
    "silver",
    "quiet",
    "lazy",
    "crazy",
    "retro",
    "indie",
]
_PAGE_A = [
    "Daily",
    "Global",
    "Harbour",
    "Morning",
    "Evening",
    "Open",
    "Free",
    "Real",
    "True",
    "Smart",
    "Happy",
    "Green",
    "Golden",
    "Bright",
    "Urban",
    "Family",
    "Local",
    "World",
    "Modern",
]
_PAGE_B = [
    "News",
    "Stories",
    "Voices",
    "Life",
    "Journal",
    "Times",
    "Report",
    "Channel",
    "Hub",
    "Corner",
    "Talk",
    "Insight",
    "Review",
    "Updates",
    "Digest",
    "Chronicle",
    "Circle",
    "Club",
    "Network",
]

_BIO = {
    "en": [
        "coffee addict",
        "dog person",
        "runner",
        "mum of two",
        "dad, husband, fan of bad puns",
        "software engineer",
        "teacher",
        "nurse",
        "photographer",
        "music lover",
        "views my own",
        "proud Londoner",
        "travel, food, books",
        "gardening and sunsets",
        "student",
        "football fan",
        "amateur cook",
        "cat lover",
        "writer",
    ],
    "zh": [
        "热爱生活",
        "咖啡控",
        "摄影爱好者",
        "程序员",
        "老师",
        "学生",
        "喜欢旅行",
        "读书",
        "吃货",
    ],
    "ja": [
        "カフェ好き",
        "会社員",
        "写真が趣味",
        "旅行好き",
        "読書",
        "学生です",
        "猫が好き",
        "ゲーム",
    ],
    "es": ["amante del café", "profesora", "fotógrafo", "viajero", "estudiante", "fútbol"],
    "de": ["Kaffeeliebhaber", "Lehrerin", "Fotograf", "Reisen", "Student", "Fußballfan"],
    "fr": ["amateur de café", "prof", "photographe", "voyages", "étudiant", "lecteur"],
    "pt": ["amante de café", "professora", "fotógrafo", "viagens", "estudante"],
    "ru": ["люблю кофе", "учитель", "фотограф", "путешествия", "студент"],
    "ko": ["커피 좋아", "회사원", "사진", "여행", "학생"],
}
# What accounts made in a hurry say about themselves (or nothing at all).
GENERIC_BIOS = [
    "",
    "",
    "",
    "Love peace and life",
    "热爱生活",
    "Truth seeker",
    "平安喜乐",
    "Hello world",
]


def _pool(words: list[str] | str) -> pa.Array:
    return pa.array(words.split() if isinstance(words, str) else words, type=pa.string())


_FIRST_A = {k: _pool(v) for k, v in _FIRST.items()}
_LAST_A = {k: _pool(v) for k, v in _LAST.items()}
_FIRST_CAP = {k: pc.utf8_capitalize(v) for k, v in _FIRST_A.items()}
_LAST_CAP = {k: pc.utf8_capitalize(v) for k, v in _LAST_A.items()}
_WORDS_A = _pool(_WORDS)
_PAGE_A_A, _PAGE_B_A = _pool(_PAGE_A), _pool(_PAGE_B)
_ALNUM = np.frombuffer(
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", dtype=np.uint8
)


def _pick(pool: pa.Array, h: np.ndarray) -> pa.Array:
    return pool.take(pa.array((h % np.uint64(len(pool))).astype(np.int64)))


def _by_language(lang_codes: np.ndarray, build) -> pa.Array:
    """Build a string per row with ``build(lang, positions)``, for each language present."""
    parts, order = [], []
    for code in np.unique(lang_codes):
        lang = LANGUAGES[int(code)]
        sel = np.flatnonzero(lang_codes == code)
        parts.append(build(lang, sel))
        order.append(sel)
    if not parts:
        return pa.array([], type=pa.string())
    merged = pa.concat_arrays(parts)
    return merged.take(pa.array(np.argsort(np.concatenate(order), kind="stable")))


def _digits(h: np.ndarray, width: int) -> pa.Array:
    return pc.utf8_lpad(
        pc.cast(pa.array((h % np.uint64(10**width)).astype(np.int64)), pa.string()), width, "0"
    )


def _random_strings(h: np.ndarray, lengths: np.ndarray) -> pa.Array:
    n = len(h)
    maxlen = int(lengths.max()) if n else 0
    cols = np.empty((n, maxlen), dtype=np.uint8)
    z = h.copy()
    for j in range(maxlen):
        z = mix64(z + np.uint64(j + 1))
        cols[:, j] = _ALNUM[(z % np.uint64(len(_ALNUM))).astype(np.int64)]
    keep = np.arange(maxlen)[None, :] < lengths[:, None]
    data = cols[keep].tobytes()
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets.tobytes()), pa.py_buffer(data))


def handles(seed: int, idx: np.ndarray, styles: np.ndarray, langs: np.ndarray) -> pa.Array:
    """The handle of each account (ASCII, at most 30 characters)."""
    idx = np.asarray(idx, dtype=np.int64)
    n = len(idx)
    h1, h2, h3, h4 = (hash64(seed, s, idx) for s in (101, 102, 103, 104))
    name_langs = np.where(np.isin(langs, [LANGUAGES.index(x) for x in _FIRST]), langs, 0)

    def first(lang, sel):
        return _pick(_FIRST_A[lang], h1[sel])

    def last(lang, sel):
        return _pick(_LAST_A[lang], h2[sel])

    def first_cap(lang, sel):
        return _pick(_FIRST_CAP[lang], h1[sel])

    def last_cap(lang, sel):
        return _pick(_LAST_CAP[lang], h2[sel])

    f, la = _by_language(name_langs, first), _by_language(name_langs, last)
    fc, lc = _by_language(name_langs, first_cap), _by_language(name_langs, last_cap)
    two = _digits(h3, 2)
    year = pc.cast(pa.array(1960 + (h3 % np.uint64(46)).astype(np.int64)), pa.string())
    initial = pc.utf8_slice_codeunits(f, 0, 1)
    w1, w2 = _pick(_WORDS_A, h3), _pick(_WORDS_A, h4)
    variant = (h4 % np.uint64(7)).astype(np.int8)
    ordinary = pc.choose(
        pa.array(variant),
        pc.binary_join_element_wise(f, la, "_"),
        pc.binary_join_element_wise(f, la, ""),
        pc.binary_join_element_wise(f, la, two, "_"),
        pc.binary_join_element_wise(initial, la, two, ""),
        pc.binary_join_element_wise(w1, w2, "_"),
        pc.binary_join_element_wise(f, year, ""),
        pc.binary_join_element_wise(f, "_", la, "_", w1, ""),
    )
    name_digits = pc.binary_join_element_wise(fc, lc, _digits(h3 ^ h4, 8), "")
    rand = _random_strings(h4, 8 + (h3 % np.uint64(8)).astype(np.int64))
    page = pc.binary_join_element_wise(_pick(_PAGE_A_A, h3), _pick(_PAGE_B_A, h4), "")
    out = pc.choose(pa.array(np.asarray(styles, dtype=np.int8)), ordinary, name_digits, rand, page)
    return pc.utf8_slice_codeunits(out, 0, 30) if n else out


def display_names(seed: int, idx: np.ndarray, styles: np.ndarray, langs: np.ndarray) -> pa.Array:
    idx = np.asarray(idx, dtype=np.int64)
    h1, h2, h3, h4 = (hash64(seed, s, idx) for s in (101, 102, 103, 104))

    def person(lang, sel):
        if lang in _DISPLAY:
            given, family = (_pool(x) for x in _DISPLAY[lang])
            if lang == "ru":
                return pc.binary_join_element_wise(
                    _pick(given, h1[sel]), _pick(family, h2[sel]), " "
                )
            return pc.binary_join_element_wise(_pick(family, h2[sel]), _pick(given, h1[sel]), "")
        key = lang if lang in _FIRST else "en"
        return pc.binary_join_element_wise(
            _pick(_FIRST_CAP[key], h1[sel]), _pick(_LAST_CAP[key], h2[sel]), " "
        )

    people = _by_language(np.asarray(langs), person)
    page = pc.binary_join_element_wise(_pick(_PAGE_A_A, h3), _pick(_PAGE_B_A, h4), " ")
    is_page = pa.array(np.asarray(styles) == HANDLE_STYLES.index("page"))
    return pc.if_else(is_page, page, people)


def image_hashes(seed: int, keys: np.ndarray) -> pa.Array:
    """64-bit perceptual-hash-like values as 16 hex digits, one per key."""
    return hex64(hash64(seed, 201, keys))


def hex64(values: np.ndarray) -> pa.Array:
    values = np.asarray(values, dtype=np.uint64)
    n = len(values)
    data = values.astype(">u8").tobytes().hex().encode()
    offsets = (np.arange(n + 1, dtype=np.int32) * 16).tobytes()
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))


def bios(seed: int, idx: np.ndarray, langs: np.ndarray) -> pa.Array:
    idx = np.asarray(idx, dtype=np.int64)
    h1, h2, h3 = (hash64(seed, s, idx) for s in (301, 302, 303))

    def build(lang, sel):
        pool = _pool(_BIO.get(lang, _BIO["en"]))
        n = np.uint64(len(pool))
        ia = h1[sel] % n
        ib = (ia + np.uint64(1) + h2[sel] % (n - np.uint64(1))) % n
        a, b = pool.take(pa.array(ia.astype(np.int64))), pool.take(pa.array(ib.astype(np.int64)))
        one = (h3[sel] % np.uint64(3)) == 0
        sep = " · " if lang not in ("zh", "ja") else "｜"
        return pc.if_else(pa.array(one), a, pc.binary_join_element_wise(a, b, sep))

    return _by_language(np.asarray(langs), build)
