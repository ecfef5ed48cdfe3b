"""How chances are put into words and numbers for people, the same on every channel."""

from __future__ import annotations

import re

from symptomcheck.interview.consultation import Subject
from symptomcheck.knowledge import KnowledgeBase, Language


def percent(probability: float) -> str:
    """A chance as a person reads it: never 0% or 100%, since nothing here is certain."""
    if probability < 0.01:
        return "<1%"
    if probability > 0.99:
        return ">99%"
    return f"{100 * probability:.0f}%"


def likelihood_key(probability: float) -> str:
    """The message key of the words for a chance ("likely", "possible"...): never a certainty."""
    if probability >= 0.5:
        return "likelihood_high"
    if probability >= 0.2:
        return "likelihood_medium"
    if probability >= 0.05:
        return "likelihood_low"
    return "likelihood_very_low"


# The sex the statistics distinguish, as people say it in each language and on each channel: the local words
# and their initials (f/m in English, f/h in French, 女/男 in Chinese), not only the codes F and M.
FEMALE_WORDS = frozenset(
    {"f", "female", "woman", "femme", "féminin", "feminin", "女", "女性", "女的", "女士", "girl", "fille"}
)
MALE_WORDS = frozenset(
    {"m", "male", "man", "h", "g", "homme", "masculin", "男", "男性", "男的", "男士", "boy", "garçon", "garcon"}
)


def sex_code(text: str) -> str | None:
    """ "F" or "M" for what a person typed (any language, any case, surrounding spaces ignored), else None."""
    said = text.strip().casefold()
    if said in FEMALE_WORDS:
        return "F"
    if said in MALE_WORDS:
        return "M"
    return None


# -- the third person -------------------------------------------------------------------------------------
#
# The knowledge base words every question to the person answering about themselves ("Do you have a fever?").
# When they answer for their child or for another adult, the same question is put in the third person by the
# rules below, one language at a time; where a rule cannot give good text for a question, the override table
# (texts/third_person_questions.json, per language, subject and evidence code) has the last word. The rules
# are tested over every question in the three languages.
#
# English: the first mention of the patient is "your child" (a child) or "they" (another adult); later ones
# are pronouns ("they", "them", "their"), so the text reads as an English speaker would say it. Singular
# "they" takes the same verb as "you", so only "your child" as a subject needs the verb put in the singular.
# French: "votre enfant" (grammatically masculine, as the knowledge base's generic masculine already is) or
# "la personne" (feminine: pronouns "elle", and the predicate adjectives put in the feminine); questions
# asked by inversion ("Avez-vous…") become "Est-ce que votre enfant a…", which needs no gendered pronoun.
# Chinese: 您 becomes 孩子 (a child) or 患者 (another adult), with no gendered 他/她.

_EN_AUX_SINGULAR = {
    "do": "does",
    "have": "has",
    "are": "is",
    "were": "was",
    "don't": "doesn't",
    "haven't": "hasn't",
    "aren't": "isn't",
    "weren't": "wasn't",
}
# words after which "you" is the subject (an auxiliary of a question, a conjunction, a question word)
_EN_SUBJECT_AFTER = frozenset(
    {
        *_EN_AUX_SINGULAR,
        *(
            [
                "does",
                "did",
                "has",
                "had",
                "is",
                "was",
                "can",
                "could",
                "would",
                "should",
                "will",
                "may",
                "might",
                "must",
            ]
        ),
        *(["didn't", "can't", "couldn't", "wouldn't", "won't"]),
        *(
            [
                "that",
                "when",
                "whenever",
                "if",
                "where",
                "because",
                "than",
                "as",
                "and",
                "or",
                "while",
                "before",
                "after",
                "since",
                "until",
                "once",
                "how",
            ]
        ),
        *(["what", "which", "why", "whether", "so", "though", "although", "unless"]),
    }
)
# words after which "you" is an object ("wake you up", "around you"): prepositions and the verbs the questions use
_EN_OBJECT_AFTER = frozenset(
    [
        "around",
        "to",
        "with",
        "for",
        "at",
        "about",
        "from",
        "of",
        "on",
        "near",
        "into",
        "onto",
        "against",
        "toward",
        "towards",
        "without",
        "behind",
        "beside",
        "by",
        "worries",
        "worry",
        "wake",
        "wakes",
        "woke",
        "told",
        "tell",
        "tells",
        "makes",
        "make",
        "made",
        "keeping",
        "keeps",
        "keep",
        "bother",
        "bothers",
        "stops",
        "stop",
        "prevents",
        "prevent",
        "gives",
        "give",
        "help",
        "helps",
        "stopping",
        "waking",
        "asked",
    ]
)
# adverbs that may stand between a subject and its verb ("you often feel")
_EN_ADVERBS = frozenset(
    [
        "often",
        "ever",
        "also",
        "usually",
        "sometimes",
        "still",
        "regularly",
        "currently",
        "recently",
        "really",
        "never",
        "always",
        "already",
        "just",
        "now",
        "frequently",
        "suddenly",
        "easily",
        "normally",
        "generally",
    ]
)
# verbs that do not take -s in the third person (modals and past forms)
_EN_NO_S = frozenset(["can", "could", "would", "should", "will", "may", "might", "must", "did", "had", "was", "were"])
_EN_WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?|[^A-Za-z]+")
_EN_CHILD_NOUNS = frozenset({"child", "baby"})


def _cased(word: str, like: str) -> str:
    """`word` with the capital initial of `like`, if it has one."""
    return word[:1].upper() + word[1:] if like[:1].isupper() else word


def _en_third_singular(verb: str) -> str:
    low = verb.lower()
    if low in _EN_AUX_SINGULAR:
        return _cased(_EN_AUX_SINGULAR[low], verb)
    if low in _EN_NO_S or low.endswith("ed"):
        return verb
    if low.endswith(("s", "sh", "ch", "x", "z", "o")):
        return verb + "es"
    if low.endswith("y") and len(low) > 1 and low[-2] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"


def _english(text: str, subject: Subject) -> str:
    child = subject is Subject.CHILD
    tokens = _EN_WORD.findall(text)
    words = [i for i, t in enumerate(tokens) if t[:1].isalpha()]
    mentioned = not child  # another adult is "they" from the start
    out = list(tokens)
    for n, i in enumerate(words):
        low = tokens[i].lower()
        before = tokens[words[n - 1]].lower() if n > 0 else ""
        # a comma or a bracket between the previous word and this one starts a new clause
        gap = tokens[i - 1] if i > 0 else ""
        after = tokens[words[n + 1]].lower() if n + 1 < len(words) else ""
        if low in ("yourself", "yourselves"):
            out[i] = _cased("themselves", tokens[i])
        elif low == "yours":
            out[i] = _cased("theirs", tokens[i])
        elif low == "your":
            if after in _EN_CHILD_NOUNS and (not mentioned or not child):
                # "your child", "your baby": already the patient, seen from the parent
                out[i] = tokens[i] if child else _cased("the", tokens[i])
                mentioned = True
            elif not mentioned:
                out[i] = _cased("your child's", tokens[i])
                mentioned = True
            else:
                out[i] = _cased("their", tokens[i])
        elif low == "you":
            # "told you have…": the subject of a clause that follows
            is_subject = (
                before not in _EN_OBJECT_AFTER
                or gap.strip() in (",", "(", ";", ":")
                or after in ("have", "are", "were", "had", "need", "should", "must", "may", "might")
            )
            if not is_subject:
                out[i] = _cased("your child" if not mentioned else "them", tokens[i])
                mentioned = True
            elif mentioned:
                out[i] = _cased("they", tokens[i])
            else:
                out[i] = _cased("your child", tokens[i])
                mentioned = True
                if n > 0 and before in _EN_AUX_SINGULAR and words[n - 1] == i - 2:
                    out[words[n - 1]] = _cased(_EN_AUX_SINGULAR[before], tokens[words[n - 1]])
                elif before not in _EN_AUX_SINGULAR and before not in _EN_SUBJECT_AFTER - _EN_CONJUNCTIONS:
                    # a statement ("for example you eat"): the verb after the subject, past any adverb
                    k = n + 1
                    while k < len(words) and tokens[words[k]].lower() in _EN_ADVERBS:
                        k += 1
                    if k < len(words):
                        out[words[k]] = _en_third_singular(tokens[words[k]])
    return "".join(out)


_EN_CONJUNCTIONS = frozenset(
    [
        "that",
        "when",
        "whenever",
        "if",
        "where",
        "because",
        "than",
        "as",
        "and",
        "or",
        "while",
        "before",
        "after",
        "since",
        "until",
        "once",
        "how",
        "what",
        "which",
        "why",
        "whether",
        "so",
        "though",
        "although",
        "unless",
    ]
)

# French verbs of the questions, "vous" form -> "il/elle" form; the regular ones follow the rules in _fr_3sg
_FR_VERBS = {
    "avez": "a",
    "êtes": "est",
    "faites": "fait",
    "dites": "dit",
    "prenez": "prend",
    "reprenez": "reprend",
    "comprenez": "comprend",
    "entendez": "entend",
    "perdez": "perd",
    "vivez": "vit",
    "voyez": "voit",
    "buvez": "boit",
    "devez": "doit",
    "pouvez": "peut",
    "voulez": "veut",
    "savez": "sait",
    "allez": "va",
    "venez": "vient",
    "sentez": "sent",
    "ressentez": "ressent",
    "dormez": "dort",
    "mettez": "met",
    "sortez": "sort",
    "essayez": "essaie",
    "emportez": "emporte",
    "soulevez": "soulève",
    "levez": "lève",
    "décririez": "décrirait",
    "aimiez": "aimait",
}
# feminine of the adjectives and participles said of the patient in French questions (for "la personne")
_FR_FEMININE = {
    "constipé(e)": "constipée",
    "atteint": "atteinte",
    "confus": "confuse",
    "anxieux": "anxieuse",
    "nerveux": "nerveuse",
    "séropositif": "séropositive",
    "pris": "prise",
    "dépendant": "dépendante",
    "endormi": "endormie",
}
# verbs whose adjective or participle agrees with the subject ("elle est essoufflée", "elle reste alitée")
_FR_COPULAS = frozenset({"est", "sent", "reste", "semble", "devient"})
# words that may stand inside a predicate, between its adjectives
_FR_PREDICATE_GLUE = frozenset(
    [
        ",",
        "et",
        "ou",
        "très",
        "plus",
        "vite",
        "souvent",
        "régulièrement",
        "beaucoup",
        "trop",
        "toujours",
        "déjà",
        "parfois",
        "facilement",
        "anormalement",
    ]
)
_FR_NOUN_GENDER_FEMININE = frozenset(
    [
        "famille",
        "consultation",
        "vie",
        "peau",
        "douleur",
        "paupière",
        "langue",
        "vessie",
        "naissance",
        "humeur",
        "grossesse",
        "envie",
        "croissance",
        "vulve",
        "vue",
        "voix",
        "respiration",
        "parole",
        "mère",
        "faiblesse",
        "consommation",
        "bouche",
        "tête",
        "jambe",
        "main",
        "gorge",
        "poitrine",
        "oreille",
        "santé",
        "température",
        "tension",
        "taille",
        "bpco",
    ]
)
_FR_WORD = re.compile(r"[\wÀ-ÿœŒ]+(?:-[\wÀ-ÿœŒ]+)*(?:\(e\))?|[^\wÀ-ÿœŒ]+")
# the elisions and contractions the rules can create ("que il", "se est", "de les yeux")
_FR_ELIDE = re.compile(r"\b([Qq]u|[Ss])e (?=[aeiouéèêîôâ])|\b([Dd])e (?=elle\b|elle-|il\b)")
_FR_NOUN_ADJECTIVES = frozenset(["proche", "proches", "gauche", "droit", "droite", "immédiate"])
# relatives named by the possessive: "votre mère" is the mother of the patient, not "the mother, in the patient"
_FR_KIN = frozenset(["mère", "père", "famille", "entourage", "frère", "sœur", "parents"])
_FR_CONTRACT = {"de les": "des", "à les": "aux", "de le": "du", "à le": "au"}


def _fr_3sg(verb: str) -> str:
    low = verb.lower()
    if low in _FR_VERBS:
        return _cased(_FR_VERBS[low], verb)
    if low.endswith("issez"):
        return verb[:-5] + "it"
    if low.endswith("ez"):
        return verb[:-2] + "e"  # a first-group verb: toussez -> tousse
    return verb


def _fr_feminine(word: str) -> str:
    low = word.lower()
    if low in _FR_FEMININE:
        return _cased(_FR_FEMININE[low], word)
    if low.endswith("é"):
        return word + "e"
    return word


def _fr_possessive(noun: str, plural: bool) -> str:
    if plural:
        return "ses"
    low = noun.lower()
    if low[:1] in "aeiouhéèêœ" or low not in _FR_NOUN_GENDER_FEMININE:
        return "son"
    return "sa"


def _fr_article(noun: str, plural: bool) -> str:
    if plural:
        return "les"
    low = noun.lower()
    if low[:1] in "aeiouéèêœ":
        return "l'"
    return "la" if low in _FR_NOUN_GENDER_FEMININE else "le"


def _french(text: str, subject: Subject) -> str:
    child = subject is Subject.CHILD
    np, pronoun, direct, strong = (
        ("votre enfant", "il", "le", "lui") if child else ("la personne", "elle", "la", "elle")
    )
    tokens = _FR_WORD.findall(text)
    words = [i for i, t in enumerate(tokens) if t[:1].isalnum() or t[:1] == "_"]
    out = list(tokens)
    mentioned = False
    feminine_predicate = False
    shared_subject = False  # the question is "Est-ce que <the patient> …": coordinated verbs share that subject
    prefix = ""

    def word(n: int) -> str:
        return tokens[words[n]] if 0 <= n < len(words) else ""

    n = 0
    while n < len(words):
        i = words[n]
        token, low = tokens[i], tokens[i].lower()
        before, after = word(n - 1).lower(), word(n + 1).lower()
        first = n == 0
        if low.endswith("-vous") and low not in ("vous-même",):
            verb = token[: -len("-vous")]
            if before == "vous" and not mentioned:
                # "Vous sentez-vous…", "vous êtes-vous…": reflexive
                out[words[n - 1]] = ""
                reflexive = "s'" if _fr_3sg(verb).lower()[:1] in "aeiouéèêh" else "se "
                out[i] = f"Est-ce que {np} {reflexive}{_fr_3sg(verb).lower()}"
                shared_subject = n == 1
                if words[n - 1] == 0 or n - 1 == 0:
                    out[i] = out[i][0].upper() + out[i][1:]
            elif before == "vous":
                out[words[n - 1]] = "se" if _fr_3sg(verb).lower()[:1] not in "aeiouéèêh" else "s'"
                out[i] = _fr_inverted(_fr_3sg(verb).lower(), pronoun)
                if out[words[n - 1]] == "s'":
                    out[i - 1] = ""
            elif not mentioned:
                lead = "Est-ce que" if first else "est-ce que"
                out[i] = f"{lead} {np} {_fr_3sg(verb).lower()}"
                shared_subject = first
            elif shared_subject and before in ("et", "ou"):
                # "Est-ce que votre enfant est enceinte et a-t-il…": the subject is shared, no pronoun needed
                out[i] = _fr_3sg(verb).lower()
            else:
                out[i] = _cased(_fr_inverted(_fr_3sg(verb).lower(), pronoun), token)
            feminine_predicate = _fr_3sg(verb).lower() in _FR_COPULAS
            mentioned = True
        elif low == "vous-même":
            out[i] = _cased(f"{strong}-même" if mentioned else np, token)
            mentioned = True
        elif low in ("votre", "vos") and after:
            plural = low == "vos"
            noun = word(n + 1)
            if after in ("enfant", "bébé", "enfants"):
                out[i] = _cased("ses" if plural else ("son" if child else ("l'" if after == "enfant" else "le")), token)
                if out[i] == "l'":
                    out[i + 1] = ""
                if child:
                    out[i] = _cased("votre" if not plural else "vos", token) if not mentioned else out[i]
                mentioned = mentioned or child
            elif mentioned:
                out[i] = _cased(_fr_possessive(noun, plural), token)
            elif first and after in _FR_KIN:
                # "Votre mère a-t-elle…" -> "La mère de votre enfant a-t-elle…"
                out[i] = _cased(_fr_article(noun, plural), token)
                if out[i].endswith("'"):
                    out[i + 1] = ""
                out[words[n + 1]] = f"{noun} de {np}"
                mentioned = True
            elif first:
                # "Votre peau est-elle…" -> "Chez votre enfant, la peau est-elle…"
                prefix = f"Chez {np}, "
                article = _fr_article(noun, plural)
                out[i] = article
                if article == "l'":
                    out[i + 1] = ""
                mentioned = True
            else:
                # "le blanc de vos yeux" -> "le blanc des yeux de votre enfant"
                out[i] = _fr_article(noun, plural)
                if out[i] == "l'":
                    out[i + 1] = ""
                if word(n + 2).lower() in _FR_NOUN_ADJECTIVES:  # "votre famille proche": the adjective first
                    out[words[n + 1]], out[words[n + 2]] = f"{noun} {word(n + 2)}", f"de {np}"
                else:
                    out[words[n + 1]] = f"{noun} de {np}"
                contracted = _FR_CONTRACT.get(f"{before} {out[i]}")
                if contracted is not None:
                    out[words[n - 1]], out[i], out[i - 1] = contracted, "", ""
                mentioned = True
        elif low == "vous":
            nxt = after
            if nxt.endswith("-vous"):
                pass  # "Vous sentez-vous": the inverted verb that follows takes both
            elif nxt.endswith("-t-il") and nxt.startswith(("arrive", "Arrive")):
                # "Vous arrive-t-il de…" -> "Arrive-t-il à votre enfant de…"; later "lui arrive-t-il"
                if mentioned:
                    out[i] = _cased("lui", token)
                else:
                    out[i], out[i + 1] = "", ""
                    out[words[n + 1]] = _cased(nxt, token) + f" à {np}"
                    mentioned = True
            elif nxt.endswith("-t-on"):
                # "Vous a-t-on diagnostiqué…" -> "Chez votre enfant, a-t-on diagnostiqué…"; later "lui a-t-on"
                if mentioned:
                    out[i] = _cased("lui", token)
                elif first:
                    prefix = f"Chez {np}, "
                    out[i], out[i + 1] = "", ""
                    mentioned = True
                else:
                    out[i] = "lui"
            elif _fr_infinitive(nxt) and before not in ("qui", "que", "qu'", "quand", "si", "où", "lorsque"):
                # "de vous lever" -> "de se lever"
                out[i] = "s'" if nxt[:1] in "aeiouéèêh" else "se"
                if out[i] == "s'":
                    out[i + 1] = ""
            elif before in ("chez", "de", "à", "autour", "pour", "avec", "sans", "que", "qu'", "entre") and (
                nxt in ("", "?", ",", "ou", "et") or not nxt[:1].isalpha() or before in ("chez", "autour", "avec")
            ):
                out[i] = strong if mentioned else np
                mentioned = True
            elif (before == "qui" and nxt not in ("êtes", "avez", "étiez", "aviez")) or re.search(
                r"-(t-)?(il|elle|ils|elles)$", nxt
            ):
                # "qui vous inquiète", "vos paupières vous démangent-elles": the patient is the object
                indirect = nxt.startswith(("sembl", "arriv", "manqu", "plai", "conv"))
                out[i] = "lui" if indirect else ("l'" if nxt[:1] in "aeiouéèêh" else direct)
                if out[i] == "l'":
                    out[i + 1] = ""
            else:
                # the subject of a clause: "quand vous toussez" -> "quand il tousse"
                subject_word = pronoun if mentioned else np
                out[i] = subject_word
                mentioned = True
                if nxt == "vous":  # reflexive "quand vous vous levez"
                    verb = word(n + 2)
                    out[words[n + 1]] = "s'" if _fr_3sg(verb)[:1] in "aeiouéèêh" else "se"
                    if out[words[n + 1]] == "s'":
                        out[words[n + 1] + 1] = ""
                    out[words[n + 2]] = _fr_3sg(verb)
                    n += 2
                    feminine_predicate = _fr_3sg(verb).lower() in _FR_COPULAS
                elif nxt == "ne":
                    out[words[n + 2]] = _fr_3sg(word(n + 2))
                    n += 2
                else:
                    out[words[n + 1]] = _fr_3sg(word(n + 1))
                    feminine_predicate = _fr_3sg(word(n + 1)).lower() in _FR_COPULAS
                    n += 1
        elif feminine_predicate and not child:
            if low in _FR_PREDICATE_GLUE:
                pass
            elif low in _FR_FEMININE or low.endswith("é"):
                out[i] = _fr_feminine(token)
            elif low not in ("incapable", "raide", "irritable", "allergique", "triste", "faible", "enceinte"):
                feminine_predicate = False
        n += 1
    result = "".join(out)
    result = result.replace("constipé(e)", "constipée") if not child else result.replace("constipé(e)", "constipé")
    if prefix:
        result = prefix + result[:1].lower() + result[1:] if not result.startswith(("l'", "L'")) else prefix + result
    result = _FR_ELIDE.sub(lambda m: f"{m.group(1) or m.group(2)}'", result)
    return re.sub(r" {2,}", " ", result).replace(" ,", ",").strip()


def _fr_infinitive(word: str) -> bool:
    return word.endswith(("er", "ir", "re", "dre")) and len(word) > 3


def _fr_inverted(verb: str, pronoun: str) -> str:
    """'a' -> 'a-t-elle', 'prend' -> 'prend-elle': the pronoun after the verb, with the euphonic t."""
    if verb.endswith(("t", "d")):
        return f"{verb}-{pronoun}"
    return f"{verb}-t-{pronoun}"


_ZH_PATIENT = {Subject.CHILD: "孩子", Subject.ADULT: "患者"}


def _chinese(text: str, subject: Subject) -> str:
    who = _ZH_PATIENT[subject]
    # "您的孩子" and "您的宝宝" already name the patient as the parent sees them
    text = re.sub(r"[您你]的(孩子|宝宝)", r"\1", text)
    text = re.sub(r"[您你](本人|自己)", who + r"\1", text)
    return re.sub(r"[您你]们?", who, text)


_RULES = {"en": _english, "fr": _french, "zh": _chinese}


def third_person(text: str, language: Language, subject: Subject) -> str:
    """`text`, addressed to the person about themselves, put in the third person for `subject` by the rules
    of `language` (unchanged for a consultation for oneself). No override table: see `question_text`."""
    if subject is Subject.SELF:
        return text
    return _RULES[language](text, subject)


def question_text(knowledge: KnowledgeBase, code: str, language: Language, subject: Subject) -> str:
    """The question of evidence `code` for a consultation for `subject`: as written for oneself, else from the
    override table when it words this question, else put in the third person by the rules."""
    text = knowledge.evidence(code).question[language]
    if subject is Subject.SELF:
        return text
    override = knowledge.third_person_questions.get(language, {}).get(subject.value, {}).get(code)
    return override if override is not None else third_person(text, language, subject)
