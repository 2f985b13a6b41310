"""The embedded English-like grammar and its task (`--task=grammar`, what `--task=auto` means without data).

A probabilistic finite-state grammar (tfgan_text/models/grammar.py) written out here: about 400 words,
sentences of 2 to 19 words. Its structure: a subject (a name, a pronoun, or a noun phrase: determiner,
up to two adjectives, noun; plural nouns may go without determiner) that may carry a prepositional
phrase ("the dogs near the river") or a relative clause ("the girl who likes the cats"); a verb phrase
(optionally after an adverb, a modal, or "do/does/did not") that is intransitive, transitive with an
object (a noun phrase, a name or a pronoun) or a copula with an adjective; an optional prepositional
phrase at the end; and "there is/are ..." sentences. The subject's number agrees with its determiner,
and the verb (present tense: "sleeps"/"sleep", "is"/"are", "does"/"do") agrees with the subject's
head noun across the phrase or clause in between; past tenses ("slept", "was"/"were") and base forms
after modals are shared. Many words belong to several states ("the", "that", "did", "read", "walks",
"clean", "them"), so the exact probability of a sentence is a sum over derivations: the forward
algorithm.

Within each word list the words are weighted as Zipf's law (1 / rank), so some sentences are common
("the dog sleeps") and most are rare; the vocabulary is ordered by expected frequency.
"""
from __future__ import annotations

from typing import Callable


from tfgan_text.data.tasks import SampledSets, Task, sample_sets
from tfgan_text.data.tokenizers import WhitespaceTokenizer
from tfgan_text.data.vocabulary import SPECIAL_TOKENS, Vocabulary
from tfgan_text.errors import UsageError
from tfgan_text.models.grammar import END, GrammarOracle, ProbabilisticGrammar
from tfgan_text.sampling import Sampler, SequenceSpec

GRAMMAR_EPSILON = 0.01  # the uniform share of the oracle's next-token distribution (NLL-oracle)

# --- the lexicon ------------------------------------------------------------------------------------------
# Nouns and adjectives that can follow a determiner start with a consonant ("a"; no "an").
DETERMINERS = {
    "sg": "the a this that every each my his her our their one no your".split(),
    "pl": "the some these those many two three my his her our their few several all no your".split(),
}
ANIMATE_NOUNS = [pair.split("/") for pair in (
    "dog/dogs cat/cats man/men woman/women child/children boy/boys girl/girls teacher/teachers "
    "bird/birds horse/horses friend/friends doctor/doctors farmer/farmers student/students baby/babies "
    "king/kings queen/queens mother/mothers father/fathers sister/sisters brother/brothers "
    "neighbor/neighbors painter/painters writer/writers pilot/pilots soldier/soldiers sailor/sailors "
    "nurse/nurses cook/cooks baker/bakers dancer/dancers singer/singers fox/foxes wolf/wolves "
    "mouse/mice rabbit/rabbits monkey/monkeys lion/lions tiger/tigers bear/bears sheep/sheep fish/fish "
    "deer/deer duck/ducks goat/goats pig/pigs cow/cows frog/frogs").split()]
THING_NOUNS = [pair.split("/") for pair in (
    "house/houses book/books table/tables garden/gardens car/cars tree/trees box/boxes ball/balls "
    "river/rivers road/roads park/parks city/cities door/doors window/windows letter/letters song/songs "
    "story/stories picture/pictures cake/cakes bottle/bottles bridge/bridges hill/hills lake/lakes "
    "forest/forests kitchen/kitchens market/markets school/schools village/villages boat/boats "
    "train/trains stone/stones flower/flowers basket/baskets coat/coats hat/hats shoe/shoes cup/cups "
    "plate/plates bed/beds wall/walls room/rooms ship/ships mountain/mountains sandwich/sandwiches "
    "bag/bags pen/pens key/keys map/maps field/fields").split()]
NAMES = "tom mary john anna peter lucy sam kate ben emma jack grace henry sophie david".split()
SUBJECT_PRONOUNS = {"sg": "he she".split(), "pl": "they we you".split()}
OBJECT_PRONOUNS = {"animate": "him her them me us you".split(), "thing": "it them".split()}
ADJECTIVES = {  # first slot (size, quality), second slot (colour, material), both optional
    "animate": ("little big small young happy tall hungry tired good beautiful lazy clever brave quiet "
                "noisy gentle friendly busy sad strange famous poor rich kind proud lucky nervous curious "
                "funny wild").split(),
    "animate_colour": "black white brown gray red spotted striped".split(),
    "thing": ("big small little new large heavy good beautiful broken tiny strange dark bright clean dirty "
              "long short round soft warm cold famous").split(),
    "thing_colour": "red blue green white black yellow brown wooden golden paper".split(),
}
PREDICATE_ADJECTIVES = ("happy tired hungry sad good lazy clever brave quiet busy kind proud lucky nervous "
                        "curious funny friendly strange beautiful tall small big young poor rich famous").split()
DEGREE_ADVERBS = "very so really not quite too".split()
VERBS = {  # third person singular / plural and base / past
    "intransitive": [triple.split("/") for triple in (
        "sleeps/sleep/slept runs/run/ran walks/walk/walked laughs/laugh/laughed sings/sing/sang "
        "dances/dance/danced smiles/smile/smiled waits/wait/waited works/work/worked cries/cry/cried "
        "jumps/jump/jumped swims/swim/swam falls/fall/fell talks/talk/talked plays/play/played "
        "sits/sit/sat listens/listen/listened stays/stay/stayed rests/rest/rested travels/travel/traveled"
    ).split()],
    "animate": [triple.split("/") for triple in (  # transitive, an animate object
        "sees/see/saw likes/like/liked follows/follow/followed helps/help/helped visits/visit/visited "
        "calls/call/called meets/meet/met knows/know/knew loves/love/loved watches/watch/watched "
        "chases/chase/chased finds/find/found remembers/remember/remembered thanks/thank/thanked "
        "teaches/teach/taught feeds/feed/fed walks/walk/walked").split()],
    "thing": [triple.split("/") for triple in (  # transitive, a thing as object
        "sees/see/saw likes/like/liked finds/find/found carries/carry/carried buys/buy/bought "
        "paints/paint/painted builds/build/built wants/want/wanted holds/hold/held opens/open/opened "
        "sells/sell/sold washes/wash/washed breaks/break/broke reads/read/read makes/make/made "
        "brings/bring/brought drops/drop/dropped takes/take/took cleans/clean/cleaned plays/play/played "
        "watches/watch/watched").split()],
}
PREVERBAL_ADVERBS = "often never always sometimes usually rarely also still".split()
MODALS = "can will must should may might could would".split()
DO = {"sg": ["does", "did"], "pl": ["do", "did"]}
COPULA = {"sg": ["is", "was"], "pl": ["are", "were"]}
MANNER_ADVERBS = "again today quietly slowly quickly together alone outside".split()
PREPOSITIONS = "in near on under behind with from by at into over across beside around".split()
SUBJECT_PREPOSITIONS = "in near with from behind on under by".split()
RELATIVE_PRONOUNS = ["who", "that"]
NUMBERS = ("sg", "pl")


def zipf(words: list[str]) -> dict[str, float]:
    """Weights 1 / rank (the first word the most likely)."""
    return {word: 1.0 / (rank + 1) for rank, word in enumerate(words)}


def nouns(table: list[list[str]], number: str) -> list[str]:
    return list(dict.fromkeys(pair[0 if number == "sg" else 1] for pair in table))


def verb_forms(kind: str, form: str) -> list[str]:
    """The forms of the verbs of `kind`: 'sg' (runs), 'base' (run), 'past' (ran), or 'sg+past' and
    'pl+past' (what agrees with a subject of that number; the past agrees with both)."""
    columns = {"sg": [0], "base": [1], "past": [2], "sg+past": [0, 2], "pl+past": [1, 2]}[form]
    return list(dict.fromkeys(triple[c] for c in columns for triple in VERBS[kind]))


def english_rules() -> tuple[dict[str, float], dict]:
    """(start weights, {state: (word weights, successor weights)}) of the English grammar."""
    rules = {}

    def state(name, words, following):
        rules[name] = (words if isinstance(words, dict) else zipf(words), following)

    def final(stop: float = 0.6):  # after a complete verb phrase: the end, or a prepositional phrase
        return {END: stop, "final_prep": 1 - stop}

    def verb_phrase(n):  # what follows a subject of number n
        return {f"adverb_{n}": 0.08, "modal": 0.07, f"do_{n}": 0.06, f"intransitive_{n}": 0.25,
                f"transitive_animate_{n}": 0.22, f"transitive_thing_{n}": 0.2, f"copula_{n}": 0.12}

    def noun_phrase(prefix, kind, n, after, bare=0.0, colour=True):
        """determiner (adjective) (colour) noun of `kind` and number n; `bare`: the share of starts at
        the first adjective or the noun without a determiner (plural only); `colour`: whether the colour
        slot exists. Returns its start weights."""
        adjectives = ADJECTIVES["animate" if kind == "animate" else "thing"]
        colours = ADJECTIVES["animate_colour" if kind == "animate" else "thing_colour"]
        noun_list = nouns(ANIMATE_NOUNS if kind == "animate" else THING_NOUNS, n)
        noun = f"{prefix}_noun_{n}"
        if colour:
            state(f"{prefix}_det_{n}", DETERMINERS[n], {f"{prefix}_adj_{n}": 0.22, f"{prefix}_colour_{n}": 0.08,
                                                      noun: 0.7})
            state(f"{prefix}_adj_{n}", adjectives, {f"{prefix}_colour_{n}": 0.15, noun: 0.85})
            state(f"{prefix}_colour_{n}", colours, {noun: 1.0})
        else:
            state(f"{prefix}_det_{n}", DETERMINERS[n], {f"{prefix}_adj_{n}": 0.25, noun: 0.75})
            state(f"{prefix}_adj_{n}", adjectives + colours, {noun: 1.0})
        state(noun, noun_list, after)
        starts = {f"{prefix}_det_{n}": 1 - bare}
        if bare:
            starts.update({f"{prefix}_adj_{n}": bare * 0.25, f"{prefix}_noun_{n}": bare * 0.75})
        return starts

    start = {}
    for n, share in (("sg", 0.5), ("pl", 0.3)):
        # The subject, and what may follow its noun: a prepositional phrase or a relative clause.
        subject_end = {**{k: v * 0.78 for k, v in verb_phrase(n).items()}, f"subject_prep_{n}": 0.12,
                       f"relative_{n}": 0.1}
        start.update({k: v * share for k, v in noun_phrase("subject", "animate", n, subject_end,
                                                           bare=0.2 if n == "pl" else 0.0).items()})
        for m in NUMBERS:  # the phrase's own number m; the verb still agrees with n
            noun_phrase(f"subject_pp_{n}x", "thing", m, verb_phrase(n), colour=False)
        state(f"subject_prep_{n}", SUBJECT_PREPOSITIONS, {f"subject_pp_{n}x_det_sg": 0.6,
                                                          f"subject_pp_{n}x_det_pl": 0.4})
        state(f"relative_{n}", RELATIVE_PRONOUNS, {f"relative_intransitive_{n}": 0.4,
                                                   f"relative_transitive_{n}": 0.6})
        state(f"relative_intransitive_{n}", verb_forms("intransitive", f"{n}+past"), verb_phrase(n))
        state(f"relative_transitive_{n}", verb_forms("animate", f"{n}+past"),
              {f"relative_object_{n}x_det_sg": 0.6, f"relative_object_{n}x_det_pl": 0.4})
        for m in NUMBERS:
            state(f"relative_object_{n}x_det_{m}", DETERMINERS[m], {f"relative_object_{n}x_noun_{m}": 1.0})
            state(f"relative_object_{n}x_noun_{m}", nouns(ANIMATE_NOUNS, m), verb_phrase(n))
        # The verb phrase, agreeing with n.
        state(f"adverb_{n}", PREVERBAL_ADVERBS, {f"intransitive_{n}": 0.4, f"transitive_animate_{n}": 0.3,
                                                 f"transitive_thing_{n}": 0.3})
        state(f"do_{n}", DO[n], {"not": 1.0})
        state(f"intransitive_{n}", verb_forms("intransitive", f"{n}+past"),
              {END: 0.5, "manner": 0.15, "final_prep": 0.35})
        state(f"transitive_animate_{n}", verb_forms("animate", f"{n}+past"), object_starts("animate"))
        state(f"transitive_thing_{n}", verb_forms("thing", f"{n}+past"), object_starts("thing"))
        state(f"copula_{n}", COPULA[n], {"degree": 0.3, "predicate": 0.5, "final_prep": 0.2})
        # "there is/are" sentences: the copula agrees with the noun phrase after it.
        state(f"there_{n}", COPULA[n], noun_phrase(f"there_{n}x", "animate", n, final(0.3),
                                                   bare=0.3 if n == "pl" else 0.0))
    start.update({"subject_name": 0.08, "subject_pronoun_sg": 0.05, "subject_pronoun_pl": 0.03, "there": 0.04})
    state("subject_name", NAMES, verb_phrase("sg"))
    for n in NUMBERS:
        state(f"subject_pronoun_{n}", SUBJECT_PRONOUNS[n], verb_phrase(n))
    state("there", ["there"], {"there_sg": 0.6, "there_pl": 0.4})
    # Parts shared by both numbers: after a modal or "not", the base form.
    state("modal", MODALS, {"base_intransitive": 0.4, "base_animate": 0.3, "base_thing": 0.3})
    state("not", ["not"], {"base_intransitive": 0.4, "base_animate": 0.3, "base_thing": 0.3})
    state("base_intransitive", verb_forms("intransitive", "base"), {END: 0.5, "manner": 0.15, "final_prep": 0.35})
    state("base_animate", verb_forms("animate", "base"), object_starts("animate"))
    state("base_thing", verb_forms("thing", "base"), object_starts("thing"))
    state("manner", MANNER_ADVERBS, final(0.7))
    state("degree", DEGREE_ADVERBS, {"predicate": 1.0})
    state("predicate", PREDICATE_ADJECTIVES, final(0.75))
    for kind in ("animate", "thing"):  # objects
        for m in NUMBERS:
            noun_phrase(f"object_{kind}", kind, m, final(0.6), bare=0.2 if m == "pl" else 0.0)
        state(f"object_pronoun_{kind}", OBJECT_PRONOUNS[kind], final(0.6))
    state("object_name", NAMES, final(0.6))
    state("final_prep", PREPOSITIONS, {"final_det_sg": 0.65, "final_det_pl": 0.35})
    noun_phrase("final", "thing", "sg", {END: 1.0}, colour=False)
    noun_phrase("final", "thing", "pl", {END: 1.0}, colour=False)
    return start, rules


def object_starts(kind: str) -> dict[str, float]:
    starts = {f"object_{kind}_det_sg": 0.5, f"object_{kind}_det_pl": 0.22, f"object_{kind}_adj_pl": 0.02,
              f"object_{kind}_noun_pl": 0.06, f"object_pronoun_{kind}": 0.12}
    if kind == "animate":
        starts["object_name"] = 0.08
    return starts


_GRAMMAR: ProbabilisticGrammar | None = None


def english_grammar() -> ProbabilisticGrammar:
    """The embedded grammar (built once)."""
    global _GRAMMAR
    if _GRAMMAR is None:
        start, rules = english_rules()
        _GRAMMAR = ProbabilisticGrammar.from_rules(start, rules)
    return _GRAMMAR


def grammar_vocabulary(grammar: ProbabilisticGrammar) -> Vocabulary:
    """The specials, then the grammar's words by expected frequency (ties: order of appearance)."""
    counts = grammar.expected_counts()
    order = sorted(range(len(grammar.words)), key=lambda i: (-counts[i], i))
    return Vocabulary(list(SPECIAL_TOKENS) + [grammar.words[i] for i in order])


def grammar_oracle(grammar: ProbabilisticGrammar, vocabulary: Vocabulary, epsilon: float) -> GrammarOracle:
    return GrammarOracle(grammar, vocabulary.encode(grammar.words), len(vocabulary), vocabulary.bos_id,
                         vocabulary.eos_id, epsilon)


def grammar_task(num_train: int, num_test: int, data_seed: int, vocabulary: Vocabulary | None = None,
                 grammar: ProbabilisticGrammar | None = None, epsilon: float = GRAMMAR_EPSILON,
                 log: Callable[[str], None] = print, saved: SampledSets | None = None) -> Task:
    """Training and held-out sentences sampled from the pure grammar with fixed seeds (or `saved`, a run's
    copy); the oracle is the grammar mixed with `epsilon` (tfgan_text/models/grammar.py); T = the longest
    sentence + eos.

    `vocabulary`: a run's saved one, which must be the grammar's (else the grammar changed since)."""
    grammar = grammar or english_grammar()
    own = grammar_vocabulary(grammar)
    if vocabulary is not None and vocabulary != own:
        raise UsageError("--task=grammar: the run's saved vocabulary is not the embedded grammar's (a run made "
                         "with another version of the grammar)")
    spec = SequenceSpec(vocab_size=len(own), max_length=grammar.max_length + 1, bos_id=own.bos_id,
                        eos_id=own.eos_id, pad_id=own.pad_id, banned_ids=(own.pad_id, own.bos_id, own.unk_id))
    train, test = sample_sets(Sampler(grammar_oracle(grammar, own, 0.0), spec), spec, num_train, num_test,
                              data_seed, saved)
    oracle = grammar_oracle(grammar, own, epsilon)
    log(f"grammar task: {len(grammar.words)} words, {len(grammar.states)} states, sentences of up to "
        f"{grammar.max_length} words; {num_train:,} training and {num_test:,} held-out sentences; NLL-oracle "
        f"under the grammar mixed with a uniform share of {epsilon:g}")
    return Task("grammar", spec, train, test, f"{num_test:,} fresh grammar samples (held out)",
                vocabulary=own, tokenizer=WhitespaceTokenizer(), oracle=oracle, grammatical=oracle.grammatical)
