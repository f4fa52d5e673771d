"""Mapping what reporters call an incident to the abuse desk's categories."""

from __future__ import annotations

import re

SPAM = "spam"
OPEN_RELAY = "open-relay"
FORGED_HEADERS = "forged-headers"
PORT_SCAN = "port-scan"
INTRUSION_ATTEMPT = "intrusion-attempt"
DENIAL_OF_SERVICE = "denial-of-service"
MALWARE = "malware"
COPYRIGHT = "copyright"
ILLEGAL_CONTENT = "illegal-content"
HARASSMENT = "harassment"
FRAUD = "fraud"
SECURITY_VULNERABILITY = "security-vulnerability"

CATEGORIES = (
    SPAM,
    OPEN_RELAY,
    FORGED_HEADERS,
    PORT_SCAN,
    INTRUSION_ATTEMPT,
    DENIAL_OF_SERVICE,
    MALWARE,
    COPYRIGHT,
    ILLEGAL_CONTENT,
    HARASSMENT,
    FRAUD,
    SECURITY_VULNERABILITY,
)

# Names used by ARF Feedback-Type, X-ARF Report-Type, XARF v4 category/type and the usual
# feed columns (Shadowserver report types, tags and infections), lower-cased, with "_" and
# " " read as "-".
ALIASES: dict[str, str] = {
    # ARF (RFC 5965 section 7.3, RFC 6591)
    "abuse": SPAM,
    "opt-out": SPAM,
    "unsubscribe": SPAM,
    "fraud": FRAUD,
    "virus": MALWARE,
    "auth-failure": FORGED_HEADERS,
    "other": SPAM,
    # X-ARF 0.1/0.2 report types
    "spam": SPAM,
    "login-attack": INTRUSION_ATTEMPT,
    "malware-attack": MALWARE,
    "malware": MALWARE,
    "phishing": FRAUD,
    "phishing-site": FRAUD,
    "port-scan": PORT_SCAN,
    "portscan": PORT_SCAN,
    "scan": PORT_SCAN,
    "ddos": DENIAL_OF_SERVICE,
    "dos": DENIAL_OF_SERVICE,
    "ddos-attack": DENIAL_OF_SERVICE,
    "hack-attack": INTRUSION_ATTEMPT,
    "illegal-distribution": COPYRIGHT,
    "copyright": COPYRIGHT,
    "harassment": HARASSMENT,
    # XARF v4 types (category/type is tried first, then the type alone)
    "messaging": SPAM,
    "bulk-messaging": SPAM,
    "login-attack-connection": INTRUSION_ATTEMPT,
    "sql-injection": INTRUSION_ATTEMPT,
    "vulnerability-scan": PORT_SCAN,
    "reconnaissance": PORT_SCAN,
    "scraping": DENIAL_OF_SERVICE,
    "infected-host": MALWARE,
    "bot": MALWARE,
    "botnet": MALWARE,
    "compromised-server": MALWARE,
    "remote-compromise": MALWARE,
    "csam": ILLEGAL_CONTENT,
    "csem": ILLEGAL_CONTENT,
    "cyberlocker": COPYRIGHT,
    "p2p": COPYRIGHT,
    "usenet": COPYRIGHT,
    "link-site": COPYRIGHT,
    "ugc-platform": COPYRIGHT,
    "open-resolver": OPEN_RELAY,
    "open-proxy": OPEN_RELAY,
    "open-relay": OPEN_RELAY,
    "open-service": OPEN_RELAY,
    # feeds
    "ssh-brute-force": INTRUSION_ATTEMPT,
    "brute-force": INTRUSION_ATTEMPT,
    "bruteforce": INTRUSION_ATTEMPT,
    "honeypot-brute-force": INTRUSION_ATTEMPT,
    "drone": MALWARE,
    "sinkhole": MALWARE,
    "botnet-drone": MALWARE,
    "sinkhole-http-drone": MALWARE,
    "scan-ssh": PORT_SCAN,
    "scan-telnet": PORT_SCAN,
    "open-smtp-relay": OPEN_RELAY,
    "open-dns": OPEN_RELAY,
    "open-memcached": OPEN_RELAY,
    "amplification": DENIAL_OF_SERVICE,
    "ddos-amplification": DENIAL_OF_SERVICE,
    "forged-headers": FORGED_HEADERS,
    "spoofing": FORGED_HEADERS,
    "intrusion-attempt": INTRUSION_ATTEMPT,
    "denial-of-service": DENIAL_OF_SERVICE,
    "illegal-content": ILLEGAL_CONTENT,
    "security-vulnerability": SECURITY_VULNERABILITY,
}


def normalise(name: str) -> str:
    return re.sub(r"[\s_]+", "-", name.strip().lower())


def category_for(*names: str | None) -> str:
    """The first of `names` that is a category or a known alias; "" when none is."""
    for name in names:
        if not name:
            continue
        key = normalise(str(name))
        if key in CATEGORIES:
            return key
        if key in ALIASES:
            return ALIASES[key]
    return ""


def category_for_xarf4(category: str, kind: str) -> str:
    """XARF v4 names a category and a type: `connection`/`login_attack`, `messaging`/`spam`."""
    category, kind = normalise(category), normalise(kind)
    if category == "messaging":
        return SPAM
    if category == "copyright":
        return COPYRIGHT
    if category == "vulnerability":
        # A vulnerable service at the source (open resolver, open proxy): the customer must
        # secure it, as for an open relay.
        return OPEN_RELAY
    if category == "connection" and kind == "login-attack":
        return INTRUSION_ATTEMPT
    if category == "content" and kind == "malware":
        return MALWARE
    return category_for(kind, category)


# Words that say what a free-text complaint is about, tried in this order.
_KEYWORDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (category, re.compile(pattern))
    for category, pattern in (
        (SECURITY_VULNERABILITY, r"vulnerabilit\w* (?:in|of|on) your (?:own )?network"),
        (OPEN_RELAY, r"open[ -]?(?:relay|proxy|resolver)|relaying"),
        (FORGED_HEADERS, r"forged|spoofed (?:header|sender|address)"),
        (DENIAL_OF_SERVICE, r"\bd?dos\b|denial[ -]of[ -]service|syn flood|flooding"),
        (PORT_SCAN, r"port ?scan|portscan|\bnmap\b|scanning (?:my|our)"),
        (
            INTRUSION_ATTEMPT,
            r"brute[ -]?force|login attempts?|intrusion|hack(?:ing|ed)? attempt|"
            r"unauthori[sz]ed access|exploit attempt|ssh attack",
        ),
        (MALWARE, r"malware|virus|trojan|botnet|infected|ransomware|\bworm\b"),
        (COPYRIGHT, r"copyright|dmca|infring|piracy|pirated|torrent"),
        (FRAUD, r"phish|fraud|\bscam"),
        (ILLEGAL_CONTENT, r"illegal content|child abuse|indecent images|terroris"),
        (HARASSMENT, r"harass|threaten|stalk|menac|abusive messages?"),
        (SPAM, r"\bspam|unsolicited|junk mail|bulk e-?mail"),
    )
)


def classify_text(text: str) -> str:
    """The category a complaint's own words point to, or "" when they point to none."""
    lowered = text.lower()
    for category, pattern in _KEYWORDS:
        if pattern.search(lowered):
            return category
    return ""
