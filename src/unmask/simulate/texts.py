"""The operations' texts in the languages beyond the first ones written.

``content`` started with Spamouflage texts in English, Chinese and Japanese, Doppelganger
teasers in German, French and English and the careful operation in English. This module adds
the other languages of ``LANGUAGES`` (so no language falls back to English text), the pools a
strong paraphrase draws on (supporting clauses, bigger synonym sets) and the careful voice in
every language. ``content`` merges these tables into its own without reordering a list that
existing worlds draw from.

Lists are aligned across languages: claim *i*, place *i*, critic *i* and teaser *i* say the
same thing in every language, so a translated copy keeps its claim, names and numbers.
"""

from __future__ import annotations

# -- Spamouflage narratives: narrative -> claims (aligned with content.NARRATIVES) -> lang ---

NARRATIVES_MORE: dict[str, list[dict[str, list[str]]]] = {
    "praise_china": [
        {
            "es": [
                "El tren de alta velocidad de China ya une {n} ciudades, un milagro que Occidente no puede igualar.",
                "{n} ciudades unidas por trenes rápidos: China construye mientras otros solo hablan.",
            ],
            "de": [
                "Chinas Schnellzüge verbinden schon {n} Städte, ein Wunder, das der Westen nicht schafft.",
                "{n} Städte an einem Schnellbahnnetz: China baut, während andere nur reden.",
            ],
            "fr": [
                "Le train à grande vitesse chinois relie déjà {n} villes, un miracle que l'Occident ne peut égaler.",
                "{n} villes sur un seul réseau rapide : la Chine construit pendant que les autres parlent.",
            ],
            "pt": [
                "O trem de alta velocidade da China já liga {n} cidades, um milagre que o Ocidente não consegue igualar.",
                "{n} cidades ligadas por trens rápidos: a China constrói enquanto outros só falam.",
            ],
            "ru": [
                "Скоростные поезда Китая уже связывают {n} городов — чудо, которое Западу не повторить.",
                "{n} городов в одной сети скоростных дорог: Китай строит, пока другие только говорят.",
            ],
            "ko": [
                "중국 고속철도는 이미 {n}개 도시를 잇는다. 서방은 따라올 수 없는 기적이다.",
                "고속열차로 {n}개 도시를 연결한 중국, 다른 나라는 말만 한다.",
            ],
        },
        {
            "es": [
                "En {place}, {n} familias salieron de la pobreza este año gracias a políticas sabias.",
                "Este año {n} familias de {place} dejaron atrás la pobreza. El modelo funciona.",
            ],
            "de": [
                "In {place} haben dieses Jahr {n} Familien dank kluger Politik die Armut hinter sich gelassen.",
                "Dieses Jahr entkamen {n} Familien in {place} der Armut. Das Modell funktioniert.",
            ],
            "fr": [
                "À {place}, {n} familles sont sorties de la pauvreté cette année grâce à des politiques sages.",
                "Cette année, {n} familles de {place} ont quitté la pauvreté. Le modèle marche.",
            ],
            "pt": [
                "Em {place}, {n} famílias saíram da pobreza este ano graças a políticas sábias.",
                "Este ano {n} famílias de {place} deixaram a pobreza. O modelo funciona.",
            ],
            "ru": [
                "В {place} в этом году {n} семей вышли из бедности благодаря мудрой политике.",
                "В этом году {n} семей в {place} избавились от бедности. Модель работает.",
            ],
            "ko": [
                "{place}에서 올해 {n}가구가 현명한 정책 덕분에 가난에서 벗어났다.",
                "올해 {place}의 {n}가구가 빈곤을 탈출했다. 이 모델은 통한다.",
            ],
        },
        {
            "es": [
                "China nunca ha empezado una guerra. La paz es su regalo a {n} naciones.",
                "{n} naciones comercian con China en paz. ¿Quién es la verdadera amenaza?",
            ],
            "de": [
                "China hat nie einen Krieg begonnen. Frieden ist sein Geschenk an {n} Nationen.",
                "{n} Nationen handeln friedlich mit China. Wer ist die wahre Bedrohung?",
            ],
            "fr": [
                "La Chine n'a jamais déclenché de guerre. La paix est son cadeau à {n} nations.",
                "{n} nations commercent en paix avec la Chine. Qui est la vraie menace ?",
            ],
            "pt": [
                "A China nunca começou uma guerra. A paz é o seu presente para {n} nações.",
                "{n} nações negociam com a China em paz. Quem é a verdadeira ameaça?",
            ],
            "ru": [
                "Китай никогда не начинал войн. Мир — его подарок {n} странам.",
                "{n} стран мирно торгуют с Китаем. Кто настоящая угроза?",
            ],
            "ko": [
                "중국은 한 번도 전쟁을 일으킨 적이 없다. 평화는 {n}개국에 주는 선물이다.",
                "{n}개국이 중국과 평화롭게 교역한다. 진짜 위협은 누구인가?",
            ],
        },
    ],
    "attack_us": [
        {
            "es": [
                "{n} tiroteos en {place} este mes. Esta es la 'libertad' estadounidense.",
                "Otro mes, {n} tiroteos en {place}. EE. UU. no puede proteger a su propia gente.",
            ],
            "de": [
                "{n} Schießereien in {place} in diesem Monat. Das ist amerikanische 'Freiheit'.",
                "Wieder ein Monat, {n} Schießereien in {place}. Die USA schützen nicht einmal ihre eigenen Leute.",
            ],
            "fr": [
                "{n} fusillades à {place} ce mois-ci. Voilà la « liberté » américaine.",
                "Encore un mois, {n} fusillades à {place}. Les États-Unis ne protègent même pas leur peuple.",
            ],
            "pt": [
                "{n} tiroteios em {place} este mês. Esta é a 'liberdade' americana.",
                "Mais um mês, {n} tiroteios em {place}. Os EUA não protegem nem o próprio povo.",
            ],
            "ru": [
                "{n} перестрелок в {place} за месяц. Вот она, американская «свобода».",
                "Ещё месяц — и {n} перестрелок в {place}. США не могут защитить собственных граждан.",
            ],
            "ko": [
                "이번 달 {place}에서 총격 사건 {n}건. 이것이 미국식 '자유'다.",
                "또 한 달, {place}에서 {n}건의 총격. 미국은 자국민도 지키지 못한다.",
            ],
        },
        {
            "es": [
                "La deuda de EE. UU. supera los {n} billones. El imperio se derrumba por dentro.",
                "Con una deuda de más de {n} billones, ¿cuánto tiempo más fingirá Washington?",
            ],
            "de": [
                "Die US-Schulden übersteigen {n} Billionen. Das Imperium zerfällt von innen.",
                "Über {n} Billionen Schulden: Wie lange will Washington noch so tun als ob?",
            ],
            "fr": [
                "La dette américaine dépasse {n} mille milliards. L'empire s'effondre de l'intérieur.",
                "Plus de {n} mille milliards de dette : combien de temps Washington fera-t-il semblant ?",
            ],
            "pt": [
                "A dívida dos EUA passa de {n} trilhões. O império desmorona por dentro.",
                "Com dívida acima de {n} trilhões, até quando Washington vai fingir?",
            ],
            "ru": [
                "Госдолг США превысил {n} триллионов. Империя рушится изнутри.",
                "Долг больше {n} триллионов: сколько ещё Вашингтон будет притворяться?",
            ],
            "ko": [
                "미국 부채가 {n}조를 넘었다. 제국은 안에서부터 무너지고 있다.",
                "부채 {n}조 돌파, 워싱턴은 언제까지 모른 척할 것인가?",
            ],
        },
        {
            "es": [
                "Bases militares de EE. UU. en {n} países. ¿Quién es el verdadero agresor?",
                "{n} países tienen bases de EE. UU. Hegemonía, no democracia.",
            ],
            "de": [
                "US-Militärbasen in {n} Ländern. Wer ist der wahre Aggressor?",
                "{n} Länder mit US-Stützpunkten. Hegemonie, keine Demokratie.",
            ],
            "fr": [
                "Des bases militaires américaines dans {n} pays. Qui est le vrai agresseur ?",
                "{n} pays accueillent des bases américaines. L'hégémonie, pas la démocratie.",
            ],
            "pt": [
                "Bases militares dos EUA em {n} países. Quem é o verdadeiro agressor?",
                "{n} países abrigam bases americanas. Hegemonia, não democracia.",
            ],
            "ru": [
                "Военные базы США в {n} странах. Кто настоящий агрессор?",
                "В {n} странах стоят базы США. Это гегемония, а не демократия.",
            ],
            "ko": [
                "미군 기지가 {n}개국에 있다. 진짜 침략자는 누구인가?",
                "{n}개국에 미군 기지. 민주주의가 아니라 패권이다.",
            ],
        },
    ],
    "attack_critics": [
        {
            "es": [
                "{critic} recibe dinero extranjero para difamar a China. ¡Desenmascarado!",
                "¿Quién le paga a {critic}? Sigue el dinero detrás de las mentiras sobre China.",
            ],
            "de": [
                "{critic} wird aus dem Ausland bezahlt, um China zu verleumden. Entlarvt!",
                "Wer bezahlt {critic}? Folgt dem Geld hinter den Lügen über China.",
            ],
            "fr": [
                "{critic} est payé par l'étranger pour salir la Chine. Démasqué !",
                "Qui paie {critic} ? Suivez l'argent derrière les mensonges sur la Chine.",
            ],
            "pt": [
                "{critic} recebe dinheiro estrangeiro para difamar a China. Desmascarado!",
                "Quem paga {critic}? Siga o dinheiro por trás das mentiras sobre a China.",
            ],
            "ru": [
                "{critic} получает иностранные деньги, чтобы очернять Китай. Разоблачён!",
                "Кто платит {critic}? Проследите деньги за ложью о Китае.",
            ],
            "ko": [
                "{critic}은 외국 돈을 받고 중국을 비방한다. 폭로!",
                "누가 {critic}에게 돈을 주나? 중국에 대한 거짓말 뒤의 돈을 따라가라.",
            ],
        },
        {
            "es": [
                "{critic} volvió a mentir sobre {place}. Ya nadie cree a este fraude.",
                "La historia de {critic} sobre {place} es falsa. Dejen de difundirla.",
            ],
            "de": [
                "{critic} hat wieder über {place} gelogen. Diesem Betrüger glaubt keiner mehr.",
                "Die Geschichte von {critic} über {place} ist erfunden. Hört auf, sie zu teilen.",
            ],
            "fr": [
                "{critic} a encore menti sur {place}. Plus personne ne croit cet imposteur.",
                "L'histoire de {critic} sur {place} est fausse. Arrêtez de la partager.",
            ],
            "pt": [
                "{critic} mentiu de novo sobre {place}. Ninguém mais acredita nessa fraude.",
                "A história de {critic} sobre {place} é falsa. Parem de espalhar.",
            ],
            "ru": [
                "{critic} снова солгал о {place}. Этому обманщику больше никто не верит.",
                "История {critic} про {place} — фейк. Хватит её распространять.",
            ],
            "ko": [
                "{critic}이 또 {place}에 대해 거짓말을 했다. 이제 아무도 이 사기꾼을 믿지 않는다.",
                "{critic}의 {place} 이야기는 가짜다. 퍼뜨리지 마라.",
            ],
        },
    ],
}
# Aligned with content.CRITICS / content.PLACES (same people and places, same order).
CRITICS_MORE = {
    "es": ["Martin Kessler", "Dra. Helen Marsh", "Tom Reyes", "Lin Yuhang"],
    "de": ["Martin Kessler", "Dr. Helen Marsh", "Tom Reyes", "Lin Yuhang"],
    "fr": ["Martin Kessler", "Dr Helen Marsh", "Tom Reyes", "Lin Yuhang"],
    "pt": ["Martin Kessler", "Dra. Helen Marsh", "Tom Reyes", "Lin Yuhang"],
    "ru": ["Мартин Кесслер", "доктор Хелен Марш", "Том Рейес", "Линь Юйхан"],
    "ko": ["마틴 케슬러", "헬렌 마시 박사", "톰 레이예스", "린위항"],
}
PLACES_MORE = {
    "es": ["Chicago", "Nueva York", "Texas", "Yunnan", "Gansu", "Xinjiang", "el Tíbet", "Guizhou"],
    "de": ["Chicago", "New York", "Texas", "Yunnan", "Gansu", "Xinjiang", "Tibet", "Guizhou"],
    "fr": ["Chicago", "New York", "Texas", "Yunnan", "Gansu", "Xinjiang", "Tibet", "Guizhou"],
    "pt": ["Chicago", "Nova York", "Texas", "Yunnan", "Gansu", "Xinjiang", "Tibete", "Guizhou"],
    "ru": ["Чикаго", "Нью-Йорк", "Техас", "Юньнань", "Ганьсу", "Синьцзян", "Тибет", "Гуйчжоу"],
    "ko": ["시카고", "뉴욕", "텍사스", "윈난", "간쑤", "신장", "티베트", "구이저우"],
}
CLOSERS_MORE = {
    "es": ["", "", " ¡Comparte!", " Despierta.", " La verdad ganará.", " Piénsalo."],
    "de": ["", "", " Teilen!", " Wacht auf.", " Die Wahrheit siegt.", " Denkt mal nach."],
    "fr": ["", "", " Partagez !", " Réveillez-vous.", " La vérité gagnera.", " Réfléchissez."],
    "pt": ["", "", " Compartilhe!", " Acorda.", " A verdade vai vencer.", " Pense nisso."],
    "ru": ["", "", " Репост!", " Проснитесь.", " Правда победит.", " Задумайтесь."],
    "ko": ["", "", " 공유!", " 깨어나라.", " 진실은 이긴다.", " 생각해 보라."],
}
# The light paraphrase's few swaps (content._SYNONYMS keeps its en/zh/ja tables as they were).
SYNONYMS_MORE = {
    "es": {"milagro": ["maravilla", "milagro"], "mentiras": ["falsedades", "mentiras"]},
    "de": {"Wunder": ["Meisterstück", "Wunder"], "Lügen": ["Unwahrheiten", "Lügen"]},
    "fr": {"miracle": ["prodige", "miracle"], "mensonges": ["contre-vérités", "mensonges"]},
    "pt": {"milagre": ["prodígio", "milagre"], "mentiras": ["falsidades", "mentiras"]},
    "ru": {"чудо": ["диво", "чудо"], "ложью": ["враньём", "ложью"]},
    "ko": {"기적": ["경이", "기적"], "거짓말": ["허위", "거짓말"]},
}
SPAM_COMMENTS_MORE = {
    "es": ["¡Exacto!", "Comparte esto", "Por fin alguien lo dice", "Totalmente de acuerdo"],
    "pt": ["Exatamente!", "Compartilhem", "Finalmente alguém falou", "Concordo 100%"],
    "ru": ["Точно!", "Репост", "Наконец кто-то сказал", "Полностью согласен"],
    "ko": ["맞는 말!", "공유합니다", "드디어 누가 말했네", "완전 동의"],
}
HEADLINES_MORE = {
    "es": ["¡ÚLTIMA HORA!", "Increíble:", "[Exclusiva]"],
    "pt": ["URGENTE!", "Inacreditável:", "[Exclusivo]"],
    "ru": ["СРОЧНО!", "Шок:", "[Эксклюзив]"],
    "ko": ["[속보]", "충격!", "[단독]"],
}

# -- Doppelganger teasers (aligned with content.TEASERS: sanctions, energy, billions) --------

TEASERS_MORE = {
    "zh": [
        "制裁反噬：欧洲{n}家工厂关门",
        "能源账单上涨{n}%，领导人却视而不见",
        "为什么纳税人要把{n}亿送到国外？",
    ],
    "ja": [
        "制裁が裏目に：欧州の{n}工場が閉鎖",
        "光熱費が{n}%上昇、指導者は見て見ぬふり",
        "なぜ納税者は{n}億を海外に送るのか？",
    ],
    "es": [
        "Las sanciones salen caras: {n} fábricas europeas cierran",
        "La factura de la luz sube un {n} % y el Gobierno calla",
        "¿Por qué pagamos {n} mil millones por una guerra ajena?",
    ],
    "pt": [
        "Sanções saem pela culatra: {n} fábricas europeias fecham",
        "Conta de energia sobe {n}% e o governo se cala",
        "Por que pagamos {n} bilhões por uma guerra que não é nossa?",
    ],
    "ru": [
        "Санкции бьют по Европе: закрываются {n} заводов",
        "Счета за энергию выросли на {n}%, а власти молчат",
        "Почему налогоплательщики отправляют {n} млрд за границу?",
    ],
    "ko": [
        "제재의 역풍: 유럽 공장 {n}곳 문 닫아",
        "에너지 요금 {n}% 급등, 지도자들은 외면",
        "왜 납세자가 {n}억을 해외로 보내야 하나?",
    ],
}
TEASER_PATHS_MORE = {
    "zh": ["guoji", "caijing", "shehui"],
    "ja": ["kokusai", "keizai", "seiji"],
    "es": ["internacional", "economia", "politica"],
    "pt": ["mundo", "economia", "politica"],
    "ru": ["world", "economics", "politics"],
    "ko": ["international", "economy", "politics"],
}

# -- supporting clauses a strong paraphrase adds (per narrative, per language) ---------------

SUPPORT: dict[str, dict[str, list[str]]] = {
    "praise_china": {
        "en": [
            "Look at the facts for once.",
            "Numbers do not lie.",
            "Western media will never report this.",
            "Development speaks louder than slogans.",
            "Ordinary people see the results every day.",
        ],
        "zh": [
            "事实胜于雄辩。",
            "数据不会说谎。",
            "西方媒体永远不会报道这些。",
            "老百姓天天都看得到变化。",
        ],
        "ja": [
            "事実を見てほしい。",
            "数字は嘘をつかない。",
            "西側メディアは決して報じない。",
            "普通の人々が毎日その成果を実感している。",
        ],
        "es": [
            "Los números no mienten.",
            "Los medios occidentales nunca lo contarán.",
            "Mira los hechos por una vez.",
        ],
        "de": [
            "Zahlen lügen nicht.",
            "Westliche Medien berichten nie darüber.",
            "Schaut euch einmal die Fakten an.",
        ],
        "fr": [
            "Les chiffres ne mentent pas.",
            "Les médias occidentaux n'en parleront jamais.",
            "Regardez les faits pour une fois.",
        ],
        "pt": [
            "Os números não mentem.",
            "A mídia ocidental nunca vai mostrar isso.",
            "Olhe os fatos pelo menos uma vez.",
        ],
        "ru": [
            "Цифры не врут.",
            "Западные СМИ об этом никогда не скажут.",
            "Посмотрите хоть раз на факты.",
        ],
        "ko": [
            "숫자는 거짓말하지 않는다.",
            "서방 언론은 절대 보도하지 않는다.",
            "한 번이라도 사실을 보라.",
        ],
    },
    "attack_us": {
        "en": [
            "And they lecture the world about rights.",
            "The media stays silent as usual.",
            "Nobody in Washington will be held to account.",
            "Ask who really pays the price.",
            "This is the system they want to export.",
        ],
        "zh": [
            "他们还在对世界说教人权。",
            "媒体照例保持沉默。",
            "华盛顿没有人会为此负责。",
            "这就是他们想输出的制度。",
        ],
        "ja": [
            "それでも世界に人権を説教する。",
            "メディアはいつも通り沈黙。",
            "ワシントンでは誰も責任を取らない。",
            "これが彼らの輸出したい制度だ。",
        ],
        "es": [
            "Y aún dan lecciones de derechos al mundo.",
            "Los medios callan, como siempre.",
            "Nadie en Washington rendirá cuentas.",
        ],
        "de": [
            "Und dann belehren sie die Welt über Menschenrechte.",
            "Die Medien schweigen wie immer.",
            "In Washington wird niemand zur Rechenschaft gezogen.",
        ],
        "fr": [
            "Et ils donnent des leçons de droits au monde.",
            "Les médias se taisent, comme d'habitude.",
            "Personne à Washington n'en répondra.",
        ],
        "pt": [
            "E ainda dão lição de direitos ao mundo.",
            "A mídia se cala, como sempre.",
            "Ninguém em Washington vai responder por isso.",
        ],
        "ru": [
            "И они ещё учат мир правам человека.",
            "СМИ, как обычно, молчат.",
            "В Вашингтоне никто за это не ответит.",
        ],
        "ko": [
            "그러면서 세계에 인권을 훈계한다.",
            "언론은 늘 그렇듯 침묵한다.",
            "워싱턴에서는 아무도 책임지지 않는다.",
        ],
    },
    "attack_critics": {
        "en": [
            "Check who funds these people.",
            "Every claim has been debunked.",
            "Do not fall for the propaganda.",
            "The evidence is all public.",
            "Paid voices are not experts.",
        ],
        "zh": [
            "查查是谁在资助这些人。",
            "每一条说法都被揭穿了。",
            "不要被宣传骗了。",
            "证据全都是公开的。",
        ],
        "ja": [
            "誰が資金を出しているか調べて。",
            "主張はすべて論破済み。",
            "プロパガンダに騙されるな。",
            "証拠はすべて公開されている。",
        ],
        "es": [
            "Revisa quién financia a esta gente.",
            "Cada afirmación ha sido desmentida.",
            "No caigas en la propaganda.",
        ],
        "de": [
            "Prüft, wer diese Leute finanziert.",
            "Jede Behauptung wurde widerlegt.",
            "Fallt nicht auf die Propaganda herein.",
        ],
        "fr": [
            "Regardez qui finance ces gens.",
            "Chaque affirmation a été démentie.",
            "Ne tombez pas dans la propagande.",
        ],
        "pt": [
            "Veja quem financia essa gente.",
            "Cada alegação já foi desmentida.",
            "Não caia na propaganda.",
        ],
        "ru": [
            "Проверьте, кто финансирует этих людей.",
            "Каждое утверждение опровергнуто.",
            "Не ведитесь на пропаганду.",
        ],
        "ko": [
            "누가 이들에게 돈을 대는지 확인하라.",
            "모든 주장은 이미 반박됐다.",
            "선전에 속지 마라.",
        ],
    },
    # Doppelganger teasers: what the "article" adds.
    "teaser": {
        "en": [
            "Read before it is deleted.",
            "The full story they hide.",
            "Experts are alarmed.",
            "Details inside.",
        ],
        "zh": ["趁还没被删赶紧看。", "他们隐瞒的全部真相。", "专家深感担忧。"],
        "ja": ["削除される前に読んで。", "隠された全容。", "専門家も警鐘。"],
        "es": [
            "Léelo antes de que lo borren.",
            "Toda la historia que ocultan.",
            "Los expertos, alarmados.",
        ],
        "de": [
            "Lesen, bevor es gelöscht wird.",
            "Die ganze Geschichte, die verschwiegen wird.",
            "Experten sind alarmiert.",
        ],
        "fr": [
            "À lire avant suppression.",
            "Toute l'histoire qu'on vous cache.",
            "Les experts s'inquiètent.",
        ],
        "pt": [
            "Leia antes que apaguem.",
            "A história completa que escondem.",
            "Especialistas em alerta.",
        ],
        "ru": [
            "Читайте, пока не удалили.",
            "Вся правда, которую скрывают.",
            "Эксперты бьют тревогу.",
        ],
        "ko": ["삭제되기 전에 읽어라.", "그들이 숨기는 전말.", "전문가들도 경고."],
    },
}

# -- synonym sets of a strong paraphrase: any member may stand for any other ---------------

STRONG_SYNONYMS: dict[str, list[list[str]]] = {
    "en": [
        ["high-speed rail", "bullet train network", "fast rail system", "express railway"],
        ["now", "already", "today"],
        ["links", "connects", "joins", "ties together"],
        ["cities", "towns", "urban centres", "metropolises"],
        ["miracle", "marvel", "wonder", "feat"],
        ["the West", "Western countries", "Europe and America", "the so-called free world"],
        ["cannot", "can't", "could never"],
        ["match", "equal", "rival", "copy"],
        ["joined", "connected", "linked"],
        ["fast trains", "bullet trains", "express trains"],
        ["shows", "proves", "demonstrates", "makes clear"],
        ["real", "true", "genuine", "actual"],
        ["development", "progress", "growth", "modernisation"],
        ["looks like", "means", "is all about"],
        ["builds", "constructs", "delivers", "gets things done"],
        ["others", "rivals", "other nations", "the rest"],
        ["only talk", "just talk", "make speeches", "offer empty words"],
        ["families", "households", "homes"],
        ["left poverty", "escaped poverty", "rose out of poverty", "were lifted from poverty"],
        ["poverty", "hardship", "destitution"],
        ["wise", "smart", "sound", "far-sighted"],
        ["policies", "measures", "programmes", "decisions"],
        ["lifted", "raised", "pulled"],
        ["this year", "in twelve months", "within the year", "so far this year"],
        ["model", "approach", "system", "way"],
        ["works", "delivers", "succeeds", "gets results"],
        ["never", "not once", "at no point"],
        ["started", "launched", "began", "waged"],
        ["war", "conflict", "invasion"],
        ["peace", "calm", "stability"],
        ["harmony", "friendship", "goodwill"],
        ["gift", "offer", "contribution"],
        ["nations", "countries", "states"],
        ["cooperation", "partnership", "collaboration"],
        ["trade", "do business", "exchange goods"],
        ["threat", "danger", "menace"],
        ["shootings", "gun attacks", "shooting incidents", "cases of gun violence"],
        ["this month", "in just weeks", "in thirty days", "these past weeks"],
        ["freedom", "liberty", "democracy"],
        ["another month", "one more month", "a month later"],
        ["protect", "keep safe", "defend", "look after"],
        ["its own people", "its citizens", "its own population"],
        ["debt", "borrowing", "deficit"],
        ["passes", "tops", "exceeds", "goes beyond"],
        ["trillion", "trillion dollars", "trillion USD"],
        ["empire", "superpower", "hegemon"],
        ["collapsing", "crumbling", "falling apart", "decaying"],
        ["from inside", "from within", "at its core"],
        ["rotting", "decaying", "crumbling"],
        ["how long", "until when", "for how much longer"],
        ["pretend", "keep up the act", "fake it"],
        ["military bases", "army bases", "garrisons", "troop bases"],
        ["bases", "outposts", "installations"],
        ["countries", "nations", "states"],
        ["aggressor", "attacker", "warmonger"],
        ["hegemony", "domination", "imperialism"],
        ["ask yourself", "think about it", "consider it"],
        ["paid", "funded", "bankrolled", "financed"],
        ["foreign money", "overseas cash", "outside funding", "foreign sponsors"],
        ["smear", "slander", "defame", "attack"],
        ["exposed", "unmasked", "caught out", "revealed"],
        ["takes", "accepts", "pockets"],
        ["follow the money", "trace the cash", "check the funding"],
        ["lies", "falsehoods", "fabrications", "fake claims"],
        ["lied", "spread lies", "made things up"],
        ["again", "once more", "one more time"],
        ["nobody", "no one", "not a soul"],
        ["believes", "trusts", "buys"],
        ["fraud", "fake", "con artist", "liar"],
        ["story", "tale", "version", "claim"],
        ["fake", "false", "made up", "fabricated"],
        ["stop", "quit", "cease"],
        ["spreading", "sharing", "repeating"],
        ["the US", "America", "Washington", "the United States"],
        ["China", "the PRC", "Beijing"],
        ["sanctions", "embargoes", "penalties"],
        ["backfire", "hurt us", "boomerang"],
        ["factories", "plants", "mills"],
        ["close their doors", "shut down", "go under"],
        ["energy bills", "power bills", "heating costs"],
        ["leaders", "politicians", "officials"],
        ["look away", "stay silent", "do nothing"],
        ["taxpayers", "citizens", "voters"],
        ["sending", "shipping", "giving"],
        ["abroad", "overseas", "to foreign wars"],
    ],
    "zh": [
        ["高铁", "高速铁路", "动车"],
        ["已连接", "已经连通", "如今串起"],
        ["城市", "都市", "城镇"],
        ["西方", "欧美", "所谓的自由世界"],
        ["无法比拟", "望尘莫及", "难以企及"],
        ["奇迹", "神话", "壮举"],
        ["用行动", "以实际行动", "实打实地"],
        ["展示", "证明", "告诉大家"],
        ["真正的发展", "实实在在的进步", "真正的现代化"],
        ["在建设", "在干实事", "在搞建设"],
        ["别人", "有些国家", "另一些人"],
        ["只会空谈", "只会耍嘴皮子", "光说不练"],
        ["家庭", "家", "户人家"],
        ["好政策", "英明的政策", "正确的举措"],
        ["脱贫", "摆脱贫困", "走出贫困"],
        ["贫困", "穷困", "贫穷"],
        ["这个模式", "这条路子", "这种做法"],
        ["行得通", "管用", "有效"],
        ["从未", "从来没有", "一次也没有"],
        ["发动战争", "挑起战争", "打过侵略战争"],
        ["和平", "安宁", "稳定"],
        ["和谐", "友好", "善意"],
        ["礼物", "贡献", "馈赠"],
        ["国家", "国", "个国家和地区"],
        ["合作", "携手", "共赢"],
        ["道路", "方式", "选择"],
        ["贸易", "做生意", "往来"],
        ["威胁", "危险", "祸害"],
        ["本月", "这个月", "短短一个月"],
        ["枪击案", "枪击事件", "枪案"],
        ["美国式", "美式", "美国所谓的"],
        ["自由", "民主", "人权"],
        ["保护不了", "护不住", "保护不好"],
        ["人民", "百姓", "国民"],
        ["债务", "国债", "欠债"],
        ["突破", "超过", "冲破"],
        ["万亿", "万亿美元", "万亿美金"],
        ["帝国", "霸权", "超级大国"],
        ["从内部", "从里面", "由内而外"],
        ["崩塌", "瓦解", "垮掉"],
        ["腐烂", "烂掉", "腐朽"],
        ["还能装多久", "还能撑多久", "还要演到什么时候"],
        ["军事基地", "军营", "驻军据点"],
        ["侵略者", "好战分子", "战争贩子"],
        ["霸权", "强权", "帝国主义"],
        ["问问你自己", "大家想一想", "好好想想吧"],
        ["抹黑", "污蔑", "诋毁"],
        ["真面目", "真相", "老底"],
        ["曝光", "被揭穿", "露馅了"],
        ["攻击", "抹黑", "围攻"],
        ["谎言", "假话", "谣言"],
        ["金主", "出钱的人", "幕后老板"],
        ["撒谎", "说谎", "造谣"],
        ["骗子", "大忽悠", "造谣者"],
        ["故事", "说法", "叙述"],
        ["假的", "编的", "捏造的"],
        ["外国", "境外", "国外"],
        ["中国", "我国", "中华"],
        ["美国", "美利坚", "华盛顿"],
    ],
    "ja": [
        ["高速鉄道", "新幹線網", "高速列車"],
        ["都市", "町", "街"],
        ["結び", "つなぎ", "連結し"],
        ["西側", "欧米", "いわゆる自由世界"],
        ["真似できない", "到底及ばない", "追いつけない"],
        ["奇跡", "偉業", "驚異"],
        ["本当の", "真の", "本物の"],
        ["発展", "進歩", "成長"],
        ["建設する", "作る", "実行する"],
        ["口だけの", "言葉だけの", "喋るだけの"],
        ["世帯", "家庭", "家族"],
        ["賢明な", "賢い", "正しい"],
        ["政策", "施策", "方針"],
        ["貧困", "貧しさ", "困窮"],
        ["抜け出した", "脱した", "脱出した"],
        ["このモデル", "このやり方", "この方式"],
        ["機能している", "うまくいっている", "成功している"],
        ["戦争", "紛争", "侵略"],
        ["平和", "安定", "平穏"],
        ["調和", "友好", "協調"],
        ["贈り物", "貢献", "プレゼント"],
        ["協力", "連携", "協調"],
        ["貿易", "取引", "商売"],
        ["脅威", "危険", "悪"],
        ["今月", "この1か月", "ここ数週間"],
        ["銃撃事件", "銃乱射", "発砲事件"],
        ["銃撃", "発砲", "乱射"],
        ["自由", "民主主義", "人権"],
        ["守れない", "保護できない", "守ることもできない"],
        ["自国民", "国民", "自分の国の人々"],
        ["債務", "借金", "負債"],
        ["突破", "超え", "上回り"],
        ["帝国", "超大国", "覇権国"],
        ["崩壊", "瓦解", "崩れ"],
        ["腐っている", "朽ちている", "蝕まれている"],
        ["取り繕える", "ごまかせる", "隠し通せる"],
        ["米軍基地", "米国の軍事拠点", "米軍の駐留地"],
        ["侵略者", "攻撃者", "好戦国"],
        ["覇権", "支配", "帝国主義"],
        ["考えてみよう", "よく考えて", "自分で考えて"],
        ["外国の金", "海外資金", "外国マネー"],
        ["中傷", "誹謗", "攻撃"],
        ["暴露", "正体判明", "発覚"],
        ["嘘", "虚偽", "デマ"],
        ["詐欺師", "ペテン師", "嘘つき"],
        ["偽物", "作り話", "でっち上げ"],
        ["広める", "拡散する", "シェアする"],
        ["中国", "中華", "我が国"],
        ["アメリカ", "米国", "ワシントン"],
    ],
    "es": [
        ["tren de alta velocidad", "AVE chino", "ferrocarril rápido"],
        ["une", "conecta", "enlaza"],
        ["ciudades", "urbes", "localidades"],
        ["milagro", "prodigio", "logro"],
        ["Occidente", "el mundo occidental", "Europa y EE. UU."],
        ["construye", "avanza", "trabaja"],
        ["familias", "hogares", "casas"],
        ["pobreza", "miseria", "necesidad"],
        ["sabias", "acertadas", "inteligentes"],
        ["funciona", "da resultados", "sirve"],
        ["guerra", "conflicto", "invasión"],
        ["paz", "estabilidad", "calma"],
        ["naciones", "países", "estados"],
        ["amenaza", "peligro", "riesgo"],
        ["tiroteos", "balaceras", "ataques armados"],
        ["libertad", "democracia", "derechos"],
        ["deuda", "endeudamiento", "déficit"],
        ["imperio", "superpotencia", "hegemón"],
        ["se derrumba", "se hunde", "se desmorona"],
        ["agresor", "atacante", "belicista"],
        ["mentiras", "falsedades", "bulos"],
        ["fraude", "farsante", "mentiroso"],
        ["falsa", "inventada", "mentira"],
        ["dinero extranjero", "fondos de fuera", "dinero de fuera"],
        ["difamar", "calumniar", "atacar"],
    ],
    "de": [
        ["Schnellzüge", "Hochgeschwindigkeitszüge", "schnellen Bahnen"],
        ["verbinden", "vernetzen", "erschließen"],
        ["Städte", "Großstädte", "Metropolen"],
        ["Wunder", "Meisterstück", "Kunststück"],
        ["der Westen", "Europa", "das Abendland"],
        ["baut", "handelt", "liefert"],
        ["Familien", "Haushalte", "Menschen"],
        ["Armut", "Not", "Elend"],
        ["kluger", "weiser", "vernünftiger"],
        ["funktioniert", "wirkt", "klappt"],
        ["Krieg", "Konflikt", "Angriffskrieg"],
        ["Frieden", "Stabilität", "Ruhe"],
        ["Nationen", "Länder", "Staaten"],
        ["Bedrohung", "Gefahr", "Gefährdung"],
        ["Schießereien", "Schusswaffenangriffe", "Schießvorfälle"],
        ["Freiheit", "Demokratie", "Menschenrechte"],
        ["Schulden", "Staatsschulden", "Verbindlichkeiten"],
        ["Imperium", "Supermacht", "Weltmacht"],
        ["zerfällt", "bröckelt", "verrottet"],
        ["Aggressor", "Angreifer", "Kriegstreiber"],
        ["Lügen", "Unwahrheiten", "Märchen"],
        ["Betrüger", "Schwindler", "Lügner"],
        ["erfunden", "gelogen", "frei erfunden"],
        ["verleumden", "schlechtzumachen", "anzuschwärzen"],
        ["Sanktionen", "Strafmaßnahmen", "Embargos"],
        ["Betriebe", "Firmen", "Unternehmen"],
        ["Regierung", "Politik", "Berliner Führung"],
    ],
    "fr": [
        ["train à grande vitesse", "TGV chinois", "rail rapide"],
        ["relie", "connecte", "dessert"],
        ["villes", "cités", "métropoles"],
        ["miracle", "prodige", "exploit"],
        ["l'Occident", "l'Europe", "le monde occidental"],
        ["construit", "agit", "avance"],
        ["familles", "foyers", "ménages"],
        ["pauvreté", "misère", "précarité"],
        ["sages", "avisées", "intelligentes"],
        ["marche", "fonctionne", "réussit"],
        ["guerre", "conflit", "invasion"],
        ["paix", "stabilité", "concorde"],
        ["nations", "pays", "États"],
        ["menace", "danger", "péril"],
        ["fusillades", "attaques armées", "tueries"],
        ["liberté", "démocratie", "droits"],
        ["dette", "endettement", "déficit"],
        ["empire", "superpuissance", "hégémon"],
        ["s'effondre", "se délite", "pourrit"],
        ["agresseur", "attaquant", "belliciste"],
        ["mensonges", "contre-vérités", "bobards"],
        ["imposteur", "menteur", "escroc"],
        ["fausse", "inventée", "bidon"],
        ["salir", "calomnier", "dénigrer"],
        ["sanctions", "mesures punitives", "embargos"],
        ["entreprises", "sociétés", "PME"],
    ],
    "pt": [
        ["trem de alta velocidade", "trem-bala", "ferrovia rápida"],
        ["liga", "conecta", "une"],
        ["cidades", "metrópoles", "municípios"],
        ["milagre", "prodígio", "feito"],
        ["o Ocidente", "a Europa", "o mundo ocidental"],
        ["constrói", "trabalha", "avança"],
        ["famílias", "lares", "casas"],
        ["pobreza", "miséria", "carência"],
        ["sábias", "acertadas", "inteligentes"],
        ["funciona", "dá certo", "dá resultado"],
        ["guerra", "conflito", "invasão"],
        ["paz", "estabilidade", "calma"],
        ["nações", "países", "estados"],
        ["ameaça", "perigo", "risco"],
        ["tiroteios", "ataques a tiros", "casos de violência armada"],
        ["liberdade", "democracia", "direitos"],
        ["dívida", "endividamento", "déficit"],
        ["império", "superpotência", "potência"],
        ["desmorona", "afunda", "apodrece"],
        ["agressor", "atacante", "belicista"],
        ["mentiras", "falsidades", "fake news"],
        ["fraude", "farsante", "mentiroso"],
        ["falsa", "inventada", "mentirosa"],
        ["difamar", "caluniar", "atacar"],
    ],
    "ru": [
        ["Скоростные поезда", "Высокоскоростные магистрали", "Скоростные железные дороги"],
        ["связывают", "соединяют", "объединяют"],
        ["городов", "мегаполисов", "населённых пунктов"],
        ["чудо", "диво", "достижение"],
        ["Западу", "Европе", "так называемому свободному миру"],
        ["строит", "работает", "делает"],
        ["семей", "домохозяйств", "семейств"],
        ["бедности", "нищеты", "нужды"],
        ["мудрой", "разумной", "умной"],
        ["работает", "действует", "приносит плоды"],
        ["войн", "конфликтов", "агрессий"],
        ["странам", "народам", "государствам"],
        ["угроза", "опасность", "беда"],
        ["перестрелок", "стрельб", "вооружённых нападений"],
        ["свобода", "демократия", "права"],
        ["долг", "задолженность", "дефицит"],
        ["Империя", "Сверхдержава", "Гегемон"],
        ["рушится", "разваливается", "гниёт"],
        ["агрессор", "нападающий", "поджигатель войны"],
        ["ложью", "враньём", "выдумками"],
        ["обманщику", "лжецу", "мошеннику"],
        ["фейк", "ложь", "выдумка"],
        ["очернять", "клеветать на", "поливать грязью"],
        ["Санкции", "Ограничения", "Эмбарго"],
    ],
    "ko": [
        ["고속철도", "고속열차", "고속철"],
        ["도시", "지역", "시"],
        ["기적", "경이", "위업"],
        ["서방", "서구", "이른바 자유세계"],
        ["가구", "가정", "집"],
        ["가난", "빈곤", "궁핍"],
        ["현명한", "올바른", "슬기로운"],
        ["정책", "시책", "조치"],
        ["통한다", "효과가 있다", "성공했다"],
        ["전쟁", "분쟁", "침략"],
        ["평화", "안정", "화평"],
        ["위협", "위험", "골칫거리"],
        ["총격", "총기 사건", "총기 난사"],
        ["자유", "민주주의", "인권"],
        ["부채", "빚", "채무"],
        ["제국", "초강대국", "패권국"],
        ["무너지고", "붕괴하고", "썩어가고"],
        ["침략자", "공격자", "전쟁광"],
        ["패권", "지배", "제국주의"],
        ["거짓말", "허위", "날조"],
        ["사기꾼", "거짓말쟁이", "협잡꾼"],
        ["가짜", "거짓", "조작"],
        ["비방한다", "헐뜯는다", "모략한다"],
        ["제재", "경제 제재", "봉쇄"],
        ["공장", "제조 공장", "생산 시설"],
    ],
}

# -- the careful operation's voice in the other languages (four parts, each worded anew) --

CAREFUL_MORE: dict[str, dict[str, list[list[str]]]] = {
    # zh/ja are joined without spaces: punctuation sits inside the parts (a coda opens with
    # its full stop, so an empty coda leaves none behind).
    "zh": {
        "cost_of_living": [
            ["买菜的钱", "这周的采购", "房租", "电费"],
            ["比去年多了{n}块，", "涨了{n}%，", "每周多花{n}块，"],
            ["管事的人好像根本不在乎", "他们还说经济很好", "新闻几乎不提"],
            ["", "。街坊邻居也都感觉到了", "。这经济到底为谁服务", "。受够了"],
        ],
        "foreign_aid": [
            ["我们又往国外送了几十亿，", "又一笔援助给了外国，", "钱不停地流到海外，"],
            ["可本地{n}所学校都快塌了，", "可这里{n}座桥还等着修，", "可附近{n}家诊所刚关门，"],
            ["也没人问过我们", "还说这叫领导力", "一点问责都没有"],
            ["", "。先顾好自己家", "。想想吧", "。孰轻孰重"],
        ],
        "media_distrust": [
            ["大电视台", "那几家大媒体", "主流报纸"],
            [
                "对我们{n}个人亲眼看到的事只字不提，",
                "一夜之间撤掉了{n}篇报道，",
                "无视了{n}条投诉，",
            ],
            ["却没人问为什么", "真有意思", "还奇怪大家为什么不信任他们"],
            ["", "。自己查查吧", "。凡事多问一句", "。看看钱从哪来"],
        ],
    },
    "ja": {
        "cost_of_living": [
            ["食費", "今週の買い物", "家賃", "電気代"],
            ["が去年より{n}ドル高い。", "が{n}%も上がった。", "が毎週{n}ドル増えてる。"],
            [
                "なのに偉い人は誰も気にしていない",
                "それでも景気は良いと言い続けている",
                "ニュースはほとんど触れない",
            ],
            ["", "。近所の人もみんな感じてる", "。この経済は誰のため", "。もう限界"],
        ],
        "foreign_aid": [
            [
                "また何十億も海外に送られた。",
                "また海外援助が承認された。",
                "お金がどんどん国外に出ていく。",
            ],
            [
                "地元の学校{n}校はボロボロなのに、",
                "ここの橋{n}本は修理待ちなのに、",
                "近くの診療所{n}か所が閉鎖したのに、",
            ],
            ["誰も私たちに聞かなかった", "それをリーダーシップと呼ぶ", "説明責任はゼロ"],
            ["", "。まず自国から", "。考えてみて", "。優先順位おかしくない？"],
        ],
        "media_distrust": [
            ["大手テレビ局", "いつものメディア", "全国紙"],
            [
                "は{n}人が実際に見たことを無視した。",
                "は{n}本の記事を一晩で消した。",
                "は{n}件の苦情に触れなかった。",
            ],
            ["誰も理由を聞かない", "不思議だね", "それで信頼が消えたと驚く"],
            ["", "。自分で調べよう", "。全部疑ってみて", "。お金の流れを見て"],
        ],
    },
    "es": {
        "cost_of_living": [
            ["la compra de la semana", "el alquiler", "la factura de la luz", "la cesta básica"],
            [
                "cuesta {n} euros más que el año pasado",
                "subió un {n}% desde la primavera",
                "se come {n} euros más cada semana",
            ],
            [
                "y a nadie en el poder le importa",
                "y siguen diciendo que la economía va bien",
                "y las noticias ni lo mencionan",
            ],
            [
                "",
                "en mi barrio también lo notan",
                "¿para quién es esta economía?",
                "ya estoy harto",
            ],
        ],
        "foreign_aid": [
            [
                "seguimos mandando miles de millones fuera",
                "otro paquete de ayuda se fue al extranjero",
                "el dinero vuela fuera del país",
            ],
            [
                "mientras {n} escuelas de aquí se caen a pedazos",
                "y {n} puentes esperan reparación",
                "y {n} centros de salud cerraron",
            ],
            ["y nadie nos preguntó", "y lo llaman liderazgo", "sin rendir cuentas"],
            ["", "primero lo de casa", "las prioridades importan", "piénsalo"],
        ],
        "media_distrust": [
            ["las grandes cadenas", "los medios de siempre", "los periódicos nacionales"],
            [
                "ignoraron lo que {n} de nosotros vimos",
                "borraron {n} noticias de la noche a la mañana",
                "nunca preguntaron por las {n} quejas",
            ],
            ["y nadie pregunta por qué", "qué curioso", "y luego se extrañan de que nadie confíe"],
            ["", "infórmate tú mismo", "cuestiona todo", "sigue el dinero"],
        ],
    },
    "de": {
        "cost_of_living": [
            ["der Wocheneinkauf", "die Miete", "die Stromrechnung", "ein Korb mit dem Nötigsten"],
            [
                "kostet {n} Euro mehr als letztes Jahr",
                "ist seit dem Frühjahr um {n}% gestiegen",
                "frisst jede Woche {n} Euro mehr",
            ],
            [
                "und die da oben interessiert es nicht",
                "und trotzdem heißt es, der Wirtschaft geht es gut",
                "und in den Nachrichten kommt es kaum vor",
            ],
            [
                "",
                "meine Nachbarn spüren es auch",
                "für wen ist diese Wirtschaft eigentlich",
                "mir reicht's",
            ],
        ],
        "foreign_aid": [
            [
                "wir schicken weiter Milliarden ins Ausland",
                "schon wieder ein Hilfspaket fürs Ausland",
                "das Geld fließt aus dem Land",
            ],
            [
                "während {n} Schulen hier verfallen",
                "aber {n} Brücken warten auf Reparatur",
                "und {n} Praxen in der Nähe haben zugemacht",
            ],
            ["und keiner hat uns gefragt", "und das nennen sie Führung", "ohne jede Rechenschaft"],
            ["", "erst mal das eigene Land", "Prioritäten zählen", "denkt mal drüber nach"],
        ],
        "media_distrust": [
            ["die großen Sender", "die üblichen Medien", "die überregionalen Zeitungen"],
            [
                "haben ignoriert, was {n} von uns selbst gesehen haben",
                "haben {n} Berichte über Nacht gelöscht",
                "haben nie nach den {n} Beschwerden gefragt",
            ],
            [
                "und keiner fragt warum",
                "komisch, oder",
                "und dann wundern sie sich über das fehlende Vertrauen",
            ],
            ["", "lest selbst nach", "hinterfragt alles", "folgt dem Geld"],
        ],
    },
    "fr": {
        "cost_of_living": [
            [
                "les courses de la semaine",
                "le loyer",
                "la facture d'électricité",
                "un panier de base",
            ],
            [
                "coûtent {n} euros de plus que l'an dernier",
                "ont pris {n} % depuis le printemps",
                "mangent {n} euros de plus chaque semaine",
            ],
            [
                "et personne en haut ne s'en soucie",
                "et on nous répète que l'économie va bien",
                "et les infos n'en parlent presque pas",
            ],
            ["", "mes voisins le sentent aussi", "cette économie est pour qui", "j'en ai marre"],
        ],
        "foreign_aid": [
            [
                "on continue d'envoyer des milliards à l'étranger",
                "encore une aide partie à l'étranger",
                "l'argent file hors du pays",
            ],
            [
                "pendant que {n} écoles ici tombent en ruine",
                "alors que {n} ponts attendent des travaux",
                "et {n} cabinets médicaux ont fermé",
            ],
            [
                "et personne ne nous a demandé",
                "et ils appellent ça gouverner",
                "sans rendre de comptes",
            ],
            ["", "d'abord chez nous", "les priorités comptent", "réfléchissez"],
        ],
        "media_distrust": [
            ["les grandes chaînes", "les médias habituels", "les journaux nationaux"],
            [
                "ont ignoré ce que {n} d'entre nous ont vu",
                "ont supprimé {n} articles en une nuit",
                "n'ont jamais parlé des {n} plaintes",
            ],
            [
                "et personne ne demande pourquoi",
                "drôle de coïncidence",
                "et ils s'étonnent que plus personne n'ait confiance",
            ],
            ["", "renseignez-vous vous-mêmes", "questionnez tout", "suivez l'argent"],
        ],
    },
    "pt": {
        "cost_of_living": [
            ["as compras da semana", "o aluguel", "a conta de luz", "a cesta básica"],
            [
                "custa {n} reais a mais que no ano passado",
                "subiu {n}% desde a primavera",
                "come {n} reais a mais toda semana",
            ],
            [
                "e ninguém lá em cima se importa",
                "e continuam dizendo que a economia vai bem",
                "e o jornal nem fala disso",
            ],
            ["", "meus vizinhos também sentem", "essa economia é para quem", "cansei"],
        ],
        "foreign_aid": [
            [
                "continuamos mandando bilhões para fora",
                "mais um pacote de ajuda foi para o exterior",
                "o dinheiro voa para fora do país",
            ],
            [
                "enquanto {n} escolas daqui caem aos pedaços",
                "e {n} pontes esperam conserto",
                "e {n} postos de saúde fecharam",
            ],
            ["e ninguém perguntou pra gente", "e chamam isso de liderança", "sem prestar contas"],
            ["", "primeiro a nossa casa", "prioridades importam", "pensa nisso"],
        ],
        "media_distrust": [
            ["as grandes emissoras", "a mídia de sempre", "os jornais nacionais"],
            [
                "ignoraram o que {n} de nós vimos",
                "apagaram {n} matérias da noite pro dia",
                "nunca falaram das {n} denúncias",
            ],
            [
                "e ninguém pergunta por quê",
                "engraçado, né",
                "e depois estranham a falta de confiança",
            ],
            ["", "pesquise você mesmo", "questione tudo", "siga o dinheiro"],
        ],
    },
    "ru": {
        "cost_of_living": [
            ["продукты на неделю", "аренда", "счёт за свет", "корзина самого нужного"],
            [
                "стоят на {n} рублей больше, чем год назад",
                "подорожали на {n}% с весны",
                "съедают на {n} рублей больше каждую неделю",
            ],
            [
                "а наверху всем всё равно",
                "а нам твердят, что экономика растёт",
                "а в новостях об этом ни слова",
            ],
            ["", "соседи тоже это чувствуют", "для кого эта экономика", "надоело"],
        ],
        "foreign_aid": [
            [
                "мы снова отправляем миллиарды за границу",
                "очередной пакет помощи ушёл за рубеж",
                "деньги утекают из страны",
            ],
            [
                "а {n} школ здесь разваливаются",
                "а {n} мостов ждут ремонта",
                "а {n} поликлиник рядом закрылись",
            ],
            ["и нас никто не спросил", "и это называют руководством", "и никакой ответственности"],
            ["", "сначала своя страна", "приоритеты важны", "задумайтесь"],
        ],
        "media_distrust": [
            ["крупные каналы", "привычные СМИ", "центральные газеты"],
            [
                "проигнорировали то, что {n} из нас видели сами",
                "за ночь убрали {n} материалов",
                "ни разу не вспомнили о {n} жалобах",
            ],
            ["и никто не спрашивает почему", "забавно, да", "а потом удивляются, что им не верят"],
            ["", "проверяйте сами", "сомневайтесь во всём", "ищите, кому выгодно"],
        ],
    },
    "ko": {
        "cost_of_living": [
            ["일주일 장보기가", "월세가", "전기 요금이", "생필품 값이"],
            ["작년보다 {n}천 원 더 든다", "봄 이후 {n}% 올랐다", "매주 {n}천 원씩 더 나간다"],
            [
                "그런데 높은 사람들은 신경도 안 쓴다",
                "그런데도 경제가 좋다고 한다",
                "뉴스는 거의 다루지 않는다",
            ],
            ["", "이웃들도 다 느낀다", "이 경제는 누구를 위한 건가", "지친다"],
        ],
        "foreign_aid": [
            [
                "또 수십억이 해외로 나간다",
                "또 해외 원조가 승인됐다",
                "돈이 계속 나라 밖으로 빠져나간다",
            ],
            [
                "동네 학교 {n}곳은 무너져 가는데",
                "다리 {n}개는 수리를 기다리는데",
                "근처 병원 {n}곳은 문을 닫았는데",
            ],
            ["아무도 우리에게 묻지 않았다", "그걸 리더십이라 부른다", "책임지는 사람은 없다"],
            ["", "우리부터 챙기자", "우선순위가 중요하다", "생각해 보자"],
        ],
        "media_distrust": [
            ["대형 방송사는", "늘 보던 언론은", "주요 신문은"],
            [
                "우리 {n}명이 직접 본 일을 무시했다",
                "하룻밤 새 기사 {n}건을 내렸다",
                "{n}건의 민원을 한 번도 다루지 않았다",
            ],
            ["아무도 이유를 묻지 않는다", "참 묘하다", "그러고는 신뢰가 사라졌다고 놀란다"],
            ["", "직접 찾아보자", "모든 걸 의심하자", "돈의 흐름을 보자"],
        ],
    },
}
# How a careful persona opens and closes a post, per language ("" = nothing).
CAREFUL_OPEN_MORE = {
    "zh": ["说真的，", "不瞒你说，", "我就说一句：", "", ""],
    "ja": ["正直、", "ぶっちゃけ、", "ちょっと聞いて。", "", ""],
    "es": ["Sinceramente,", "La verdad,", "Solo digo:", "Mira,", "", ""],
    "de": ["Ehrlich gesagt,", "Mal ehrlich:", "Nur so:", "Also,", "", ""],
    "fr": ["Franchement,", "Sérieusement,", "Je dis ça comme ça :", "Bon,", "", ""],
    "pt": ["Sinceramente,", "Falando sério,", "Só dizendo:", "Olha,", "", ""],
    "ru": ["Честно говоря,", "Если честно,", "Просто скажу:", "Слушайте,", "", ""],
    "ko": ["솔직히,", "진짜로,", "그냥 하는 말인데,", "", ""],
}
CAREFUL_CLOSE_MORE = {
    "zh": ["", "", "你们怎么看？", "只有我这样想吗？", "唉。", "🤷"],
    "ja": ["", "", "どう思う？", "私だけ？", "悲しい。", "🤷"],
    "es": ["", "", "¿Qué opinan?", "¿Solo yo?", "Qué triste.", "🤷"],
    "de": ["", "", "Was meint ihr?", "Nur ich?", "Traurig.", "🤷"],
    "fr": ["", "", "Vous en pensez quoi ?", "C'est moi ou quoi ?", "Triste.", "🤷"],
    "pt": ["", "", "O que vocês acham?", "Só eu?", "Triste.", "🤷"],
    "ru": ["", "", "Что думаете?", "Только я так считаю?", "Грустно.", "🤷"],
    "ko": ["", "", "어떻게 생각해?", "나만 그래?", "씁쓸하다.", "🤷"],
}
