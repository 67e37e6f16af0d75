"""The SMS backends; the Tencent Cloud adapter talks to a fake SendSms endpoint on the loopback, never the internet."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kexie.sms import FileBackend, SmsError, SmsMessage, TencentCloudBackend, sms_send
from members.models import VerificationCode
from members.services.verification import CodeRefused, Purpose, sms_code_send

MESSAGE = SmsMessage(mobile="13800138000", template="register", params=["123456", "5"], text="验证码 123456")


class FakeTencentSms:
    """A local stand-in for sms.tencentcloudapi.com: records each request and answers like SendSms."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answer_code = "Ok"
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                fake.requests.append({"headers": dict(self.headers), "body": json.loads(body)})
                status = {
                    "SerialNo": "2028:1", "PhoneNumber": json.loads(body)["PhoneNumberSet"][0], "Fee": 1,
                    "SessionContext": "", "Code": fake.answer_code,
                    "Message": "send success" if fake.answer_code == "Ok" else "frequency limit", "IsoCode": "CN",
                }
                payload = json.dumps({"Response": {"SendStatusSet": [status], "RequestId": "fake-1"}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_tencent(settings):
    fake = FakeTencentSms()
    settings.SMS_BACKEND = "kexie.sms.TencentCloudBackend"
    settings.SMS_TENCENT = {
        "SECRET_ID": "AKIDtest", "SECRET_KEY": "test-secret", "REGION": "ap-guangzhou",
        "SDK_APP_ID": "1400000000", "SIGN_NAME": "科协会员系统",
        "TEMPLATES": {"register": "100001", "password_reset": "100002", "mobile_change": "100003"},
        "ENDPOINT": fake.endpoint, "SCHEME": "http", "TIMEOUT": 5,
    }
    yield fake
    fake.stop()


def test_the_tencent_adapter_sends_a_signed_send_sms_request_through_the_official_sdk(fake_tencent):
    TencentCloudBackend().send(MESSAGE)
    [request] = fake_tencent.requests
    assert request["headers"]["X-TC-Action"] == "SendSms"
    assert request["headers"]["X-TC-Version"] == "2021-01-11"
    assert request["headers"]["Authorization"].startswith("TC3-HMAC-SHA256 Credential=AKIDtest/")
    body = request["body"]
    assert body["PhoneNumberSet"] == ["+8613800138000"]
    assert body["TemplateId"] == "100001" and body["TemplateParamSet"] == ["123456", "5"]
    assert body["SmsSdkAppId"] == "1400000000" and body["SignName"] == "科协会员系统"


def test_a_refused_message_raises(fake_tencent):
    fake_tencent.answer_code = "LimitExceeded.PhoneNumberThirtySecondLimit"
    with pytest.raises(SmsError, match="LimitExceeded"):
        TencentCloudBackend().send(MESSAGE)


@pytest.mark.django_db
def test_a_code_the_provider_refused_is_not_kept_and_costs_no_wait(fake_tencent):
    fake_tencent.answer_code = "FailedOperation.InsufficientBalanceInSmsPackage"
    with pytest.raises(CodeRefused, match="验证码发送失败"):
        sms_code_send(mobile="13800138000", purpose=Purpose.REGISTER)
    assert not VerificationCode.objects.exists()
    fake_tencent.answer_code = "Ok"
    sms_code_send(mobile="13800138000", purpose=Purpose.REGISTER)
    assert fake_tencent.requests[-1]["body"]["TemplateParamSet"][1] == "5"
    assert VerificationCode.objects.count() == 1


def test_an_unreachable_provider_raises(settings, fake_tencent):
    fake_tencent.stop()
    with pytest.raises(SmsError):
        TencentCloudBackend().send(MESSAGE)


def test_the_file_backend_appends_one_json_line_per_message(settings, tmp_path):
    settings.SMS_FILE_PATH = str(tmp_path / "sms.log")
    settings.SMS_BACKEND = "kexie.sms.FileBackend"
    sms_send(MESSAGE)
    sms_send(MESSAGE)
    lines = (tmp_path / "sms.log").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and json.loads(lines[0])["params"] == ["123456", "5"]
    settings.SMS_FILE_PATH = str(tmp_path / "missing" / "sms.log")
    with pytest.raises(SmsError):
        FileBackend().send(MESSAGE)


def test_the_console_backend_prints_the_text(settings, capsys):
    settings.SMS_BACKEND = "kexie.sms.ConsoleBackend"
    sms_send(MESSAGE)
    out = capsys.readouterr().out
    assert "13800138000" in out and "验证码 123456" in out
