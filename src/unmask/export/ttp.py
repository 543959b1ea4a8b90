"""What unmask observed, named in the two vocabularies that threat teams share.

* **Meta's Online Operations Kill Chain** (Nimmo and Hutchins 2023, "Phase-based tactical
  analysis of online operations", Carnegie Endowment; the TTP table in Meta's
  ``facebookresearch/threat-research`` repository, ``Online_Operations_Killchain-TTPs.csv``).
  ``unmask.operations.killchain`` already names the procedures an operation's evidence
  shows; here are their tactic and technique, as Meta's table spells them.
* **DISARM** Red Framework, version 1.6 (DISARM Foundation, ``DISARMframeworks`` at commit
  49df5f6, 2025-02-10; technique pages under ``generated_pages/techniques/``).

``DISARM`` below maps the kill-chain procedures (by their number's prefix) to DISARM
techniques; a signal that vouched for an operation's accounts declares its own
(``Signal.disarm``, found through ``unmask.signals.registry``). Two observations have no
DISARM technique in v1.6 and map to none rather than to a loose neighbour: working to a
shift pattern (3.1; DISARM names no workforce rhythm) and bought followers (7.2.x; DISARM's
T0150.006 "Purchased Asset" is for owning an asset, not for inflating its audience).
"""

from __future__ import annotations

from unmask.signals.registry import signal_class

DISARM_VERSION = "1.6"
DISARM_COMMIT = "49df5f649e16dfbf11e3859913c256c875c02692"
# Each technique's page at that commit; its SHA-256 goes with the link in STIX, so that a
# reader can tell whether the page still says what it said when the table was made.
DISARM_URL = (
    "https://raw.githubusercontent.com/DISARMFoundation/DISARMframeworks/"
    f"{DISARM_COMMIT}/generated_pages/techniques/"
)
META_KILL_CHAIN = "meta-online-operations-kill-chain"
META_SOURCE = "Meta Online Operations Kill Chain"
META_URL = "https://github.com/facebookresearch/threat-research"
DISARM_KILL_CHAIN = "disarm"

# Meta's tactics by the first number of a procedure.
META_TACTICS = {
    "0": "Acquiring assets",
    "1": "Disguising assets",
    "2": "Gathering information",
    "3": "Coordinating and planning",
    "4": "Testing defenses",
    "5": "Evading detection",
    "6": "Indiscriminate engagement",
    "7": "Targeted engagement",
    "8": "Compromising assets",
    "9": "Enabling longevity",
}
# Meta's techniques for the procedures unmask.operations.killchain can name.
META_TECHNIQUES = {
    "0.6": "Acquiring domains",
    "0.9": "Acquiring social media accounts",
    "1.1": "Adopting visual disguise",
    "3.1": "Coordinating shift patterns",
    "3.3": "Centralizing infrastructure",
    "5.2": "Camouflaging content",
    "6.2": "Amplifying with likely fake accounts on social media",
    "7.2": "Engaging with users outside the operation",
    "7.5": "Directing online traffic",
    "9.2": "Changing platforms",
}

# DISARM v1.6 techniques used here: id -> (name, DISARM tactic as a kill-chain phase,
# SHA-256 of its page at DISARM_COMMIT).
DISARM_TECHNIQUES = {
    "T0146": (
        "Account Asset",
        "establish-assets",
        "1c48c49ef26655a57aeb158e9484ba03ce3688938b758235598151a6fd23c91e",
    ),
    "T0149.001": (
        "Domain Asset",
        "establish-assets",
        "27e75d1cb46d4acb1ac677a7b148cdc975577b7b52e11648b2ce2d487e079e07",
    ),
    "T0149.006": (
        "IP Address Asset",
        "establish-assets",
        "bd8e3e77e04b2b00ca01e2586c8b2abfcd529d5de4b9f185a056d32e764d1d9b",
    ),
    "T0145.001": (
        "Copy Account Imagery",
        "establish-assets",
        "2509f1710e85aeb843d5149c8825274f23eb1dd018c2fd890cab1fb778d3e0c4",
    ),
    "T0150.008": (
        "Bulk Created Asset",
        "establish-assets",
        "b7b1ecff5d32128eeaa17b6f5f7f20fd8b94184691a2a60e5033eab5bd177b17",
    ),
    "T0084.001": (
        "Use Copypasta",
        "develop-content",
        "ab74df84c88dbd3b2d23fc1ed5a7ccfef23afd43a83befd45a47e07c72d52c1e",
    ),
    "T0049.005": (
        "Conduct Swarming",
        "maximise-exposure",
        "282edc3c21338ea8c79f409c7bc3c0ed98189df66431755484bda8b5d3130a1b",
    ),
    "T0119.002": (
        "Post across Platform",
        "maximise-exposure",
        "9b2064fec80c9748c8f2421127fc68f7e67b80227b0a942bb1bcacc52a51833d",
    ),
    "T0122": (
        "Direct Users to Alternative Platforms",
        "maximise-exposure",
        "16ba0de9480bd2ca4870336c6b61a3c36bf8e8c857431b4b130df998de032e62",
    ),
}

# The table: a kill-chain procedure's number prefix -> DISARM technique ids; the longest
# matching prefix wins.
DISARM: dict[str, tuple[str, ...]] = {
    "0.9": ("T0146",),  # acquiring accounts on a platform: account assets
    "0.6.2": ("T0149.001",),  # domains only the operation links
    "1.1.1": ("T0145.001",),  # copied profile pictures
    "3.1.1": (),  # a shift pattern: no DISARM technique
    "3.3.1": ("T0149.006",),  # shared IP addresses / devices
    "5.2.2": ("T0084.001",),  # copied texts in edited variants: copypasta
    "6.2": ("T0049.005",),  # likely fake accounts acting in sync: swarming
    "7.2": (),  # bought followers: no DISARM technique
    "7.5.2": ("T0122",),  # directing the audience to a website
    "9.2.3": ("T0119.002",),  # the same content across platforms
}


def disarm_for(observation: str) -> tuple[str, ...]:
    """DISARM technique ids for a procedure (``"6.2.4 Amplifying …"``, by the longest
    prefix in :data:`DISARM`) or a signal's evidence (``"signal:coaction_url"``: what its
    class declares)."""
    if observation.startswith("signal:"):
        cls = signal_class(observation.removeprefix("signal:"))
        return cls.disarm if cls is not None else ()
    key = observation.split(" ", 1)[0]
    best = max((k for k in DISARM if key.startswith(k)), key=len, default=None)
    return DISARM[best] if best is not None else ()


def procedure_number(procedure: str) -> str:
    return procedure.split(" ", 1)[0]


def meta_tactic(procedure: str) -> str:
    """``"0. Acquiring assets"`` for ``"0.9.4 …"``, as Meta's files write the tactic."""
    n = procedure_number(procedure).split(".")[0]
    return f"{n}. {META_TACTICS[n]}"


def meta_technique(procedure: str) -> str:
    """``"0.9 Acquiring social media accounts"`` for ``"0.9.4 …"``."""
    prefix = ".".join(procedure_number(procedure).split(".")[:2])
    return f"{prefix} {META_TECHNIQUES.get(prefix, '')}".strip()


def phase(name: str) -> str:
    """A tactic as a STIX kill-chain phase name (lower case, hyphens)."""
    return "-".join(name.lower().replace("/", " ").split())
