"""Device signal: which browser and system the order came from, and whether it
looks like a script or a crawler rather than a person.

Reuse of a device id across accounts is a history feature, not computed here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import ua_parser
from ua_parser import Domain

from fraud.domain import Feature, FeatureValue
from fraud.schema import Order
from fraud.signals import Context, Signal

FEATURES: tuple[Feature, ...] = (
    Feature("ua_present", "bool", "Whether the browser sent a user agent string."),
    Feature(
        "ua_browser_family",
        "cat",
        "Browser (or tool) named in the user agent, e.g. Chrome, Mobile Safari, Firefox, curl.",
    ),
    Feature(
        "ua_os_family",
        "cat",
        "Operating system named in the user agent, e.g. Windows, iOS, Android, Mac OS X.",
    ),
    Feature(
        "ua_device_type",
        "cat",
        "Kind of device: desktop, mobile, tablet, bot (a declared crawler) or other.",
    ),
    Feature(
        "ua_is_headless",
        "bool",
        "Whether the user agent shows browser automation or a script: headless Chrome, "
        "PhantomJS, Selenium/WebDriver, python-requests, curl and the like.",
    ),
    Feature(
        "ua_is_bot",
        "bool",
        "Whether the user agent declares itself a crawler or bot (Googlebot, bingbot, ...).",
    ),
    Feature(
        "device_id_present",
        "bool",
        "Whether the shop's front end sent a device fingerprint with the order.",
    ),
)

_HEADLESS = re.compile(
    r"headless|phantomjs|selenium|webdriver|puppeteer|playwright|python-requests|python-urllib|"
    r"aiohttp|httpx|^curl/|\bwget/|go-http-client|scrapy|java/\d|apache-httpclient|node-fetch|"
    r"axios/|okhttp|libwww-perl|guzzlehttp|postmanruntime",
    re.IGNORECASE,
)
_BOT = re.compile(
    # "bot/2.1" or "bot;", but not the Cubot phone brand
    r"(?<!cu)bot[/;]|\bbot\b|crawler|spider|slurp|facebookexternalhit|mediapartners|ia_archiver|"
    r"bingpreview|yandex(?:bot|images)|baiduspider|petalbot|semrush|ahrefs",
    re.IGNORECASE,
)
_TABLET = re.compile(r"ipad|tablet|kindle|silk/|playbook|sm-t\d|sm-x\d", re.IGNORECASE)
_MOBILE = re.compile(r"mobi|iphone|ipod|android.*mobile|windows phone|opera mini", re.IGNORECASE)
_DESKTOP_OS = frozenset(
    {"Windows", "Mac OS X", "Linux", "Ubuntu", "Fedora", "Debian", "Chrome OS", "ChromeOS",
     "FreeBSD", "OpenBSD", "Arch Linux", "Linux Mint", "openSUSE", "Red Hat"}
)
_MOBILE_OS = frozenset({"iOS", "Android", "Windows Phone", "HarmonyOS", "KaiOS"})


@dataclass(frozen=True)
class UserAgent:
    """What one user agent string says about its sender."""

    browser_family: str
    os_family: str
    device_type: str
    is_headless: bool
    is_bot: bool


def device_type(ua: str, os_family: str, is_bot: bool) -> str:
    """desktop/mobile/tablet/bot/other from the string's own markers and the OS."""
    if is_bot:
        return "bot"
    if _TABLET.search(ua):
        return "tablet"
    if _MOBILE.search(ua):
        return "mobile"
    if os_family == "Android":  # Android without "Mobile" is a tablet by Google's convention
        return "tablet"
    if os_family in _MOBILE_OS:
        return "mobile"
    if os_family in _DESKTOP_OS:
        return "desktop"
    return "other"


# A new user agent costs 0.2-2 ms to parse with the pure-Python resolver, but a
# shop sees the same few thousand strings over and over.
@lru_cache(maxsize=20_000)
def parse_user_agent(ua: str) -> UserAgent:
    """Browser, OS, device type and automation markers of one user agent string."""
    # The device domain is the slowest part of ua-parser; its answer is
    # derived more cheaply from the string's own markers in device_type().
    result = ua_parser.parser(ua, Domain.USER_AGENT | Domain.OS)
    browser = result.user_agent.family if result.user_agent else "Other"
    os_family = result.os.family if result.os else "Other"
    is_bot = bool(_BOT.search(ua))
    return UserAgent(
        browser_family=browser,
        os_family=os_family,
        device_type=device_type(ua, os_family, is_bot),
        is_headless=bool(_HEADLESS.search(ua)),
        is_bot=is_bot,
    )


def compute(order: Order, ctx: Context) -> dict[str, FeatureValue]:
    ua = (order.user_agent or "").strip()
    values: dict[str, FeatureValue] = {
        "ua_present": bool(ua),
        "device_id_present": order.device_id is not None,
    }
    if not ua:
        # Real browsers always send one, but the shop's front end may not pass
        # it on: leave the rest unknown rather than guess.
        values.update(ua_browser_family=None, ua_os_family=None, ua_device_type=None,
                      ua_is_headless=None, ua_is_bot=None)
        return values
    parsed = parse_user_agent(ua)
    values.update(
        ua_browser_family=parsed.browser_family,
        ua_os_family=parsed.os_family,
        ua_device_type=parsed.device_type,
        ua_is_headless=parsed.is_headless,
        ua_is_bot=parsed.is_bot,
    )
    return values


# ua-parser compiles its regexes lazily on first use (about 0.4 s): do it now.
parse_user_agent("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
                 "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")

SIGNALS = [Signal("device", compute, FEATURES)]
