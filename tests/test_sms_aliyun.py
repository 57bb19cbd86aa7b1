"""SMS through Alibaba Cloud's SendSms, against a stand-in that checks requests as the provider does.

What must hold: a send is signed as the provider computes it and carries the text in the
template; a wrong secret, an illegal number or a template error fails at once (no retry);
5xx and throttling are retried with fresh signatures and deliver once; trouble that lasts
fails the send; neither the phone nor the text reaches a log in clear; configuration picks
the provider only when it is configured.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.sms import LocalSmsOutbox, SmsRejected, SmsUnavailable
from bot.sms.aliyun import AliyunSms, AliyunSmsConfig
from bot.sms.config import SmsConfigError, sms_sender
from bot.sms.signing import signature
from tests import sms_standin
from tests.conftest import free_port
from tests.sms_standin import SmsStandIn

PHONE = "13812345678"
TEXT = "您好，这里是青听客服，按约定来回访：您的电水壶换货问题现在解决了吗？请回复1-5分。"

Adapter = Callable[..., AliyunSms]


def config_for(server: TestServer, **overrides: object) -> AliyunSmsConfig:
    settings: dict = {"access_key_id": sms_standin.ACCESS_KEY_ID, "access_key_secret": sms_standin.ACCESS_KEY_SECRET,
                      "sign_name": sms_standin.SIGN_NAME, "template_code": sms_standin.TEMPLATE_CODE,
                      "endpoint": str(server.make_url("/")), "retry_wait_s": 0.01, "timeout_s": 5.0}
    return AliyunSmsConfig(**{**settings, **overrides})


@pytest.fixture
def standin() -> SmsStandIn:
    return SmsStandIn()


@pytest.fixture
async def provider(standin: SmsStandIn, aiohttp_server) -> TestServer:  # type: ignore[no-untyped-def]
    return await aiohttp_server(standin.app(), access_log=None)  # its access log would be the provider's


@pytest.fixture
def adapter(provider: TestServer) -> Adapter:
    return lambda **overrides: AliyunSms(config_for(provider, **overrides))


def test_the_signing_reproduces_the_providers_documented_example() -> None:
    """The worked example of Alibaba Cloud's "signature mechanism" page (testid / testsecret)."""
    params = {"AccessKeyId": "testid", "Action": "DescribeRegions", "Format": "XML", "SignatureMethod": "HMAC-SHA1",
              "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf", "SignatureVersion": "1.0",
              "Timestamp": "2016-02-23T12:46:24Z", "Version": "2014-05-26"}
    assert signature("testsecret", "GET", params) == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
    assert signature("testsecret", "GET", params) == sms_standin.expected_signature("testsecret", "GET", params)


async def test_a_good_send_is_accepted_signed_as_the_provider_computes_it(adapter: Adapter, standin: SmsStandIn) -> None:
    assert await adapter().send(PHONE, TEXT) is True
    [accepted] = standin.accepted
    assert (accepted.phone, accepted.sign_name, accepted.template_code) == (PHONE, "青听客服", "SMS_000000001")
    assert accepted.template_param == {"content": TEXT}
    [request] = standin.requests
    assert {k: request[k] for k in ("Action", "Format", "Version", "SignatureMethod", "SignatureVersion")} == {
        "Action": "SendSms", "Format": "JSON", "Version": "2017-05-25", "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0"}
    assert request["Signature"] == sms_standin.expected_signature(sms_standin.ACCESS_KEY_SECRET, "GET", request)


async def test_text_with_reserved_characters_survives_the_encoding(adapter: Adapter, standin: SmsStandIn) -> None:
    text = "退款 100% 已到账~ 请查收*注意+号&等号=/斜杠 \"引号\""
    assert await adapter().send(PHONE, text) is True
    assert standin.accepted[0].template_param == {"content": text}


async def test_a_wrong_secret_is_refused_and_not_retried(adapter: Adapter, standin: SmsStandIn) -> None:
    with pytest.raises(SmsRejected) as refused:
        await adapter(access_key_secret="not-the-secret").send(PHONE, TEXT)
    assert refused.value.code == "SignatureDoesNotMatch" and not refused.value.final
    assert standin.answers == ["SignatureDoesNotMatch"] and not standin.accepted


async def test_a_replayed_request_is_refused_by_its_nonce(adapter: Adapter, provider: TestServer) -> None:
    url = adapter().url(PHONE, TEXT)
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as first:
            assert first.status == 200 and (await first.json())["Code"] == "OK"
        async with session.get(url) as again:
            assert again.status == 400 and (await again.json())["Code"] == "SignatureNonceUsed"


async def test_an_illegal_number_fails_at_once_as_final(adapter: Adapter, standin: SmsStandIn) -> None:
    standin.script(PHONE, "isv.MOBILE_NUMBER_ILLEGAL")
    with pytest.raises(SmsRejected) as refused:
        await adapter().send(PHONE, TEXT)
    assert refused.value.code == "isv.MOBILE_NUMBER_ILLEGAL" and refused.value.final
    assert len(standin.requests_for(PHONE)) == 1 and not standin.accepted


async def test_a_template_error_fails_at_once(adapter: Adapter, standin: SmsStandIn) -> None:
    standin.script(PHONE, "isv.SMS_TEMPLATE_ILLEGAL")
    with pytest.raises(SmsRejected) as refused:
        await adapter().send(PHONE, TEXT)
    assert refused.value.code == "isv.SMS_TEMPLATE_ILLEGAL"
    assert len(standin.requests_for(PHONE)) == 1


async def test_503_twice_then_ok_is_retried_freshly_signed_and_delivered_once(adapter: Adapter,
                                                                              standin: SmsStandIn) -> None:
    standin.script(PHONE, "503", "503")
    assert await adapter().send(PHONE, TEXT) is True
    assert standin.answers == ["503", "503", "OK"]
    assert len({r["SignatureNonce"] for r in standin.requests}) == 3  # a replay would be refused
    assert len(standin.accepted) == 1


async def test_throttling_is_retried(adapter: Adapter, standin: SmsStandIn) -> None:
    standin.script(PHONE, "isv.BUSINESS_LIMIT_CONTROL")
    assert await adapter().send(PHONE, TEXT) is True
    assert standin.answers == ["isv.BUSINESS_LIMIT_CONTROL", "OK"] and len(standin.accepted) == 1


async def test_trouble_that_outlasts_the_retries_fails_the_send(adapter: Adapter, standin: SmsStandIn) -> None:
    standin.script(PHONE, "503", "503", "503")
    with pytest.raises(SmsUnavailable) as unavailable:
        await adapter(attempts=3).send(PHONE, TEXT)
    assert not unavailable.value.final
    assert standin.answers == ["503", "503", "503"] and not standin.accepted


async def test_a_provider_out_of_reach_fails_the_send() -> None:
    config = AliyunSmsConfig("id", "secret", "签名", "SMS_1", endpoint=f"http://127.0.0.1:{free_port()}/",
                             retry_wait_s=0.01, attempts=2)
    with pytest.raises(SmsUnavailable):
        await AliyunSms(config).send(PHONE, TEXT)


async def test_neither_phone_nor_text_reaches_the_log_in_clear(adapter: Adapter, standin: SmsStandIn,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    from tests.hardening.test_logs_clean import findings_in  # the server log scan's patterns

    caplog.set_level(logging.DEBUG)
    other = "13987654321"
    standin.script(PHONE, "503", "isv.BUSINESS_LIMIT_CONTROL")
    standin.script(other, "isv.MOBILE_NUMBER_ILLEGAL")
    assert await adapter().send(PHONE, TEXT)
    with pytest.raises(SmsRejected):
        await adapter().send(other, TEXT)
    with pytest.raises(SmsRejected):
        await adapter(access_key_secret="wrong").send(PHONE, TEXT)
    logged = "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records)
    assert "138****5678" in logged and "139****4321" in logged  # the scan is not vacuous
    assert not findings_in(logged)
    assert PHONE not in logged and other not in logged and "电水壶" not in logged
    assert sms_standin.ACCESS_KEY_SECRET not in logged


# --- configuration ---------------------------------------------------------------------------
@pytest.fixture
def no_sms_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("PROVIDER", "ACCESS_KEY_ID", "ACCESS_KEY_SECRET", "SIGN_NAME", "TEMPLATE_CODE", "ENDPOINT"):
        monkeypatch.delenv(f"QINGTING_SMS_{name}", raising=False)
    return monkeypatch


def test_without_sms_credentials_the_local_outbox_stays(no_sms_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "credentials.yml").write_text("rest:\n", encoding="utf-8")
    no_sms_env.setenv("QINGTING_CREDENTIALS", str(tmp_path / "credentials.yml"))
    assert isinstance(sms_sender("sqlite://"), LocalSmsOutbox)


def test_credentials_yml_picks_alibaba_cloud_with_env_fallbacks(no_sms_env: pytest.MonkeyPatch,
                                                                tmp_path: Path) -> None:
    (tmp_path / "credentials.yml").write_text(
        "sms:\n  provider: aliyun\n  access_key_id: LTAI-x\n  sign_name: 青听客服\n  template_code: SMS_9\n"
        "  endpoint: http://127.0.0.1:9/\n", encoding="utf-8")
    no_sms_env.setenv("QINGTING_CREDENTIALS", str(tmp_path / "credentials.yml"))
    no_sms_env.setenv("QINGTING_SMS_ACCESS_KEY_SECRET", "from-the-environment")
    sender = sms_sender("sqlite://")
    assert isinstance(sender, AliyunSms)
    assert (sender.config.access_key_secret, sender.config.sign_name, sender.config.endpoint) == (
        "from-the-environment", "青听客服", "http://127.0.0.1:9/")


def test_a_half_configured_provider_is_an_error_not_the_outbox(no_sms_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(SmsConfigError, match="access_key_secret"):
        sms_sender("sqlite://", {"provider": "aliyun", "access_key_id": "LTAI-x", "sign_name": "s",
                                 "template_code": "SMS_9"})
    with pytest.raises(SmsConfigError, match="unknown sms provider"):
        sms_sender("sqlite://", {"provider": "twilio"})
