"""Text messages to mobiles, through the backend named by settings.SMS_BACKEND (as Django does for email).

- `ConsoleBackend` (the default): prints each message to standard output, so the demo shows the code.
- `FileBackend`: appends each message as one JSON line to settings.SMS_FILE_PATH.
- `LocmemBackend`: keeps messages in `kexie.sms.outbox` (tests).
- `TencentCloudBackend`: Tencent Cloud SMS through its official SDK (tencentcloud-sdk-python-sms); the
  account, signature and one approved template per kind of message come from settings.SMS_TENCENT.

A message names a template (what it is for) and its parameters; `text` is the full Chinese wording that the
console and file backends show and that the provider's approved template must match.
"""

import json
import sys
import threading
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.utils.module_loading import import_string


class SmsError(Exception):
    """The message could not be handed to the provider."""


@dataclass(frozen=True)
class SmsMessage:
    mobile: str
    template: str
    params: list[str] = field(default_factory=list)
    text: str = ""


def sms_send(message: SmsMessage) -> None:
    """Send one message through the configured backend; raises SmsError when it was not accepted."""
    import_string(settings.SMS_BACKEND)().send(message)


class ConsoleBackend:
    def send(self, message: SmsMessage) -> None:
        sys.stdout.write(f"[短信] {message.mobile}: {message.text}\n")
        sys.stdout.flush()


class FileBackend:
    _lock = threading.Lock()

    def send(self, message: SmsMessage) -> None:
        try:
            with self._lock, open(settings.SMS_FILE_PATH, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(asdict(message), ensure_ascii=False) + "\n")
        except OSError as exc:
            raise SmsError(str(exc)) from exc


outbox: list[SmsMessage] = []


class LocmemBackend:
    def send(self, message: SmsMessage) -> None:
        outbox.append(message)


class TencentCloudBackend:
    """Tencent Cloud SMS (API 2021-01-11, SendSms). Numbers go out in E.164 form (+86…)."""

    def send(self, message: SmsMessage) -> None:
        from tencentcloud.common import credential
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.sms.v20210111 import models, sms_client

        config = settings.SMS_TENCENT
        template_id = config["TEMPLATES"].get(message.template)
        if not template_id:
            raise SmsError(f"no Tencent Cloud SMS template configured for {message.template!r}")
        http = HttpProfile(
            protocol=config.get("SCHEME", "https"),
            endpoint=config.get("ENDPOINT") or "sms.tencentcloudapi.com",
            # A slow provider must not hold a web request: the person can ask for a code again.
            reqTimeout=config.get("TIMEOUT", 5),
        )
        profile = ClientProfile()
        profile.httpProfile = http
        client = sms_client.SmsClient(
            credential.Credential(config["SECRET_ID"], config["SECRET_KEY"]), config.get("REGION", "ap-guangzhou"), profile
        )
        request = models.SendSmsRequest()
        request.SmsSdkAppId = config["SDK_APP_ID"]
        request.SignName = config["SIGN_NAME"]
        request.TemplateId = template_id
        request.TemplateParamSet = [str(p) for p in message.params]
        request.PhoneNumberSet = [f"+86{message.mobile}"]
        try:
            response = client.SendSms(request)
        except TencentCloudSDKException as exc:
            raise SmsError(f"{exc.get_code()}: {exc.get_message()}") from exc
        except OSError as exc:  # the provider unreachable (requests' errors are OSErrors)
            raise SmsError(str(exc)) from exc
        statuses = response.SendStatusSet or []
        if not statuses or statuses[0].Code != "Ok":
            detail = f"{statuses[0].Code}: {statuses[0].Message}" if statuses else "empty SendStatusSet"
            raise SmsError(detail)
