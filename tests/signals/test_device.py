
import pytest
from factories import make_order

from fraud.settings import Settings
from fraud.signals import Context
from fraud.signals.device import compute

CTX = Context(settings=Settings(_env_file=None))

CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1"
)
SAMSUNG_PHONE = (
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.6723.102 Mobile Safari/537.36"
)
SAFARI_IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
SAMSUNG_TABLET = (
    "Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36"
)
FIREFOX_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:132.0) Gecko/20100101 Firefox/132.0"
)
HEADLESS_CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/120.0.6099.28 Safari/537.36"
)
PHANTOMJS = (
    "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/538.1 (KHTML, like Gecko) "
    "PhantomJS/2.1.1 Safari/538.1"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
CUBOT_PHONE = (
    "Mozilla/5.0 (Linux; Android 10; CUBOT X30 Build/QP1A.190711.020) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36"
)


def device_features(user_agent=CHROME_WINDOWS, device_id="dev-7f3a9c2e41b8"):
    return compute(make_order(user_agent=user_agent, device_id=device_id), CTX)


@pytest.mark.parametrize(
    ("user_agent", "browser", "os_family", "device_type"),
    [
        (CHROME_WINDOWS, "Chrome", "Windows", "desktop"),
        (FIREFOX_MAC, "Firefox", "Mac OS X", "desktop"),
        (SAFARI_IPHONE, "Mobile Safari", "iOS", "mobile"),
        (SAMSUNG_PHONE, "Chrome Mobile", "Android", "mobile"),
        (SAFARI_IPAD, "Mobile Safari", "iOS", "tablet"),
        (SAMSUNG_TABLET, "Chrome", "Android", "tablet"),
    ],
)
def test_everyday_browsers_are_recognised_as_people(user_agent, browser, os_family, device_type):
    values = device_features(user_agent)
    assert values["ua_present"] is True
    assert values["ua_browser_family"] == browser
    assert values["ua_os_family"] == os_family
    assert values["ua_device_type"] == device_type
    assert values["ua_is_headless"] is False
    assert values["ua_is_bot"] is False


@pytest.mark.parametrize(
    "user_agent",
    [
        HEADLESS_CHROME,
        PHANTOMJS,
        "python-requests/2.32.3",
        "curl/8.5.0",
        "Wget/1.21.4",
        CHROME_WINDOWS + " Selenium/4.21",
    ],
)
def test_automation_tools_and_scripts_are_headless(user_agent):
    assert device_features(user_agent)["ua_is_headless"] is True


def test_declared_crawler_is_a_bot_device():
    values = device_features(GOOGLEBOT)
    assert values["ua_is_bot"] is True
    assert values["ua_device_type"] == "bot"


def test_phone_brand_containing_bot_is_not_a_crawler():
    values = device_features(CUBOT_PHONE)
    assert values["ua_is_bot"] is False
    assert values["ua_device_type"] == "mobile"


def test_script_without_an_os_is_other_device_type():
    assert device_features("python-requests/2.32.3")["ua_device_type"] == "other"


def test_missing_user_agent_leaves_browser_details_unknown():
    values = device_features(user_agent=None)
    assert values["ua_present"] is False
    assert values["ua_browser_family"] is None
    assert values["ua_device_type"] is None
    assert values["ua_is_headless"] is None


def test_device_id_presence_is_reported():
    assert device_features(device_id="dev-7f3a9c2e41b8")["device_id_present"] is True
    assert device_features(device_id=None)["device_id_present"] is False
