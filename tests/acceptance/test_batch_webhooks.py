"""Batch end events POSTed to `--webhook-url` (issue 34, item 2): `batch.completed`, `batch.failed`,
`batch.expired` and `batch.cancelled`, signed the Standard Webhooks way and checked here with the official
SDK's own verifier (`client.webhooks.unwrap`); the signature's timestamp is wall-clock time even when the
mock clock has moved, `created_at` follows the mock clock; a failing receiver is retried with the same
`webhook-id` and never holds the batch; deliveries are in the request log as outgoing calls."""

from __future__ import annotations

import base64
import json
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
import shared_pair
from mockfiles_kit import Server
from mockfiles_kit.server import binary_path

from helpers import FAST_TIMINGS, BatchRig, chat_line
from upstream_stub import UpstreamStub
from webhook_receiver import Delivery, WebhookReceiver

SECRET = "whsec_" + base64.b64encode(b"mockfiles webhook secret for tests").decode()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    r = WebhookReceiver()
    yield r
    r.close()


@pytest.fixture
def start_rig(
    start_test_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI], make_raw: Callable[..., httpx2.Client], tmp_path: Path
) -> Callable[..., BatchRig]:
    """A server sending its events to `url`, its secret in a config file (secrets stay off the command line)."""

    def start(url: str, *args: str, timings: str = FAST_TIMINGS, data_dir: Path | None = None, **settings: Any) -> BatchRig:
        config = tmp_path / "webhooks.json"
        config.write_text(json.dumps({"webhookSecret": SECRET, **settings}))
        return BatchRig.start(start_test_server, make_client, make_raw, "--webhook-url", url, "--config", str(config), *args, timings=timings, data_dir=data_dir)

    return start


def sender_metrics(rig: BatchRig) -> str:
    """/metrics of the instance that sent the events (each instance counts its own; of two, the one
    holding the sender's lease sent them all)."""
    sender = {e["instance"] for e in rig.admin.requests(direction="outgoing")}
    assert len(sender) == 1, sender
    texts = [httpx2.get(f"http://127.0.0.1:{port}/metrics").text for port in shared_pair.ports_of(rig.server)]
    (text,) = [t for t in texts if "mockfiles_webhook_attempts_total" in t]
    return text


def unwrap(client: openai.OpenAI, delivery: Delivery, secret: str = SECRET) -> Any:
    return client.webhooks.unwrap(delivery.body, delivery.headers, secret=secret)


def test_a_completed_batch_is_announced_and_the_sdk_verifies_the_event(start_rig: Callable[..., BatchRig], receiver: WebhookReceiver) -> None:
    rig = start_rig(receiver.url)
    batch = rig.create(chat_line("a"), chat_line("b"))
    rig.advance(3)
    (delivery,) = receiver.wait_for(1)
    event = unwrap(rig.client, delivery)
    done = rig.client.batches.retrieve(batch.id)
    assert (event.type, event.data.id, event.object, event.created_at) == ("batch.completed", batch.id, "event", done.completed_at), event
    assert event.id.startswith("evt_") and len(event.id) == 36, event.id
    assert done.output_file_id is not None and rig.content(done.output_file_id), "the output is there when the event arrives"
    headers = delivery.headers
    assert headers["webhook-id"].startswith("wh_") and len(headers["webhook-id"]) == 35, headers
    assert headers["content-type"] == "application/json" and headers["user-agent"].startswith("OpenAI/1.0"), headers
    assert delivery.path == "/hooks/openai"
    assert json.loads(delivery.body) == {"id": event.id, "object": "event", "created_at": done.completed_at, "type": "batch.completed", "data": {"id": batch.id}}

    with pytest.raises(openai.InvalidWebhookSignatureError):
        unwrap(rig.client, delivery, secret="whsec_" + base64.b64encode(b"another secret").decode())
    tampered = Delivery(delivery.path, delivery.headers, delivery.body.replace(b"completed", b"cancelled"), delivery.received_at)
    with pytest.raises(openai.InvalidWebhookSignatureError):
        unwrap(rig.client, tampered)
    time.sleep(1)
    assert len(receiver.deliveries) == 1, "a delivered event is sent once"


def test_the_secret_is_never_logged(start_rig: Callable[..., BatchRig], receiver: WebhookReceiver) -> None:
    rig = start_rig(receiver.url, "--log-level", "debug")
    rig.create(chat_line("a"))
    rig.advance(3)
    receiver.wait_for(1)
    output = rig.server.output(limit=10_000_000)
    assert "WebhookSender(" in output and "secret: <redacted>" in output, "the debug log describes the sender, its settings redacted"
    assert SECRET not in output and SECRET.removeprefix("whsec_") not in output


def test_each_end_is_announced_with_its_own_type_and_moment(start_rig: Callable[..., BatchRig], receiver: WebhookReceiver) -> None:
    rig = start_rig(receiver.url, timings="validating=1s,line=10000s,finalizing=1s,cancelling=1s")
    t0 = rig.freeze()
    failing = rig.create(chat_line("a"), {**chat_line("b"), "method": "GET"})
    expiring = rig.create(*(chat_line(f"r{i}") for i in range(10)))
    cancelled = rig.create(chat_line("c"))
    rig.advance(2)
    rig.client.batches.cancel(cancelled.id)
    events = {e.data.id: e for e in (unwrap(rig.client, d) for d in receiver.wait_for(1))}
    rig.advance(5)
    events |= {e.data.id: e for e in (unwrap(rig.client, d) for d in receiver.wait_for(2))}
    rig.advance(86400)
    events |= {e.data.id: e for e in (unwrap(rig.client, d) for d in receiver.wait_for(3))}
    assert (events[failing.id].type, events[failing.id].created_at) == ("batch.failed", t0 + 1)
    assert (events[cancelled.id].type, events[cancelled.id].created_at) == ("batch.cancelled", t0 + 3)
    assert (events[expiring.id].type, events[expiring.id].created_at) == ("batch.expired", t0 + 86401)
    for batch_id, event in events.items():
        b = rig.client.batches.retrieve(batch_id)
        assert b.status == event.type.removeprefix("batch."), (b, event)
    assert len({e.id for e in events.values()}) == 3


def test_with_an_upstream_the_event_waits_for_its_answers(start_rig: Callable[..., BatchRig], receiver: WebhookReceiver) -> None:
    """The batch reads `finalizing` until the upstream has answered every line: the event comes after
    that, when the output file holds the upstream's answers."""
    stub = UpstreamStub().start()
    try:
        rig = start_rig(receiver.url, "--batch-upstream", stub.url)
        batch = rig.create(chat_line("a", "slow:1.5"), chat_line("b"))
        rig.advance(60)
        advanced = time.time()
        assert rig.client.batches.retrieve(batch.id).status == "finalizing", "awaiting the slow answer"
        assert receiver.deliveries == []
        (delivery,) = receiver.wait_for(1)
        assert unwrap(rig.client, delivery).type == "batch.completed"
        assert delivery.received_at - advanced >= 1.4 and len(stub.requests) == 2, "sent once both lines were answered"
        done = rig.client.batches.retrieve(batch.id)
        output = rig.content(done.output_file_id).decode()
        assert done.status == "completed" and "echo: " in output, output[:500]
    finally:
        stub.stop()


def test_the_signature_is_timed_by_the_wall_clock_when_the_mock_clock_has_moved(start_rig: Callable[..., BatchRig], receiver: WebhookReceiver) -> None:
    """Three days ahead on the mock clock: `created_at` says so, the signed timestamp does not (the SDK's
    verifier refuses one more than five minutes from its now)."""
    rig = start_rig(receiver.url)
    rig.advance(3 * 86400)
    batch = rig.create(chat_line("a"))
    rig.advance(3)
    (delivery,) = receiver.wait_for(1)
    event = unwrap(rig.client, delivery)
    assert abs(int(delivery.headers["webhook-timestamp"]) - delivery.received_at) < 5, delivery.headers
    assert event.created_at == rig.client.batches.retrieve(batch.id).completed_at
    assert event.created_at > time.time() + 3 * 86400 - 60, "created_at follows the mock clock"


def test_a_failing_receiver_is_retried_with_the_same_event_and_the_batch_is_not_held(start_rig: Callable[..., BatchRig], receiver: WebhookReceiver) -> None:
    receiver.statuses = [500, 503]
    rig = start_rig(receiver.url)
    batch = rig.create(chat_line("a"))
    rig.advance(3)
    assert rig.client.batches.retrieve(batch.id).status == "completed", "the batch ends whatever the receiver says"
    first, second, third = receiver.wait_for(3, timeout=20)
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == third.headers["webhook-id"]
    assert first.body == second.body == third.body
    assert third.received_at - second.received_at > second.received_at - first.received_at > 0.3, "the waits grow"
    for delivery in (first, second, third):
        assert unwrap(rig.client, delivery).data.id == batch.id, "every attempt is signed afresh"
    time.sleep(1.5)
    assert len(receiver.deliveries) == 3, "no more once one was taken"

    sent = rig.admin.requests(direction="outgoing")
    assert [e["status"] for e in sent] == [200, 503, 500], sent
    assert all(e["path"] == receiver.url and e["object_id"] == batch.id and e["request_id"] == first.headers["webhook-id"] for e in sent), sent
    assert all(e["direction"] == "outgoing" and e["method"] == "POST" for e in sent), sent
    assert rig.admin.verify(direction="outgoing", object_id=batch.id, status=200, count=1) == 1
    metrics = sender_metrics(rig)
    assert 'mockfiles_webhook_attempts_total{outcome="refused"} 2' in metrics and 'mockfiles_webhook_attempts_total{outcome="delivered"} 1' in metrics, metrics
    assert all(e["direction"] == "incoming" for e in rig.admin.requests(direction="incoming")), "and the rest are the API's"


def outgoing(rig: BatchRig, count: int, timeout: float = 20) -> list[dict[str, Any]]:
    """The request log's outgoing entries, newest first, once there are `count` of them."""
    deadline = time.monotonic() + timeout
    sent = rig.admin.requests(direction="outgoing")
    while len(sent) < count and time.monotonic() < deadline:
        time.sleep(0.1)
        sent = rig.admin.requests(direction="outgoing")
    assert len(sent) >= count, sent
    return sent


def test_a_refused_connection_is_tried_again_then_given_up_after_its_attempts(start_rig: Callable[..., BatchRig], receiver: WebhookReceiver) -> None:
    receiver.close()  # nothing listens on its port: every connection is refused
    rig = start_rig(receiver.url, webhookAttempts=3)
    batch = rig.create(chat_line("a"))
    rig.advance(3)
    assert rig.client.batches.retrieve(batch.id).status == "completed"
    sent = outgoing(rig, 3)
    assert all(e["status"] == 0 and e["error"] == {"type": "webhook_delivery_failed", "code": "connection_failed", "param": None} for e in sent), sent
    time.sleep(3)  # the next wait would have been 2 s
    assert len(rig.admin.requests(direction="outgoing")) == 3, "given up after three attempts"
    metrics = sender_metrics(rig)
    assert 'mockfiles_webhook_attempts_total{outcome="unanswered"} 3' in metrics and "mockfiles_webhook_events_given_up_total 1" in metrics, metrics


def test_a_receiver_slower_than_the_timeout_is_tried_again(start_rig: Callable[..., BatchRig], receiver: WebhookReceiver) -> None:
    receiver.delays = [3.0]
    rig = start_rig(receiver.url, webhookTimeoutMs=500)
    rig.create(chat_line("a"))
    rig.advance(3)
    late, answered = receiver.wait_for(2)
    assert late.headers["webhook-id"] == answered.headers["webhook-id"]
    sent = outgoing(rig, 2)
    assert [(e["status"], e["error"] and e["error"]["code"]) for e in sent] == [(200, None), (0, "timeout")], sent
    assert 450 <= sent[1]["duration_ms"] < 2500, sent[1]


@pytest.mark.skipif(shared_pair.ENABLED, reason="kills one process and restarts it on its data dir")
def test_an_event_not_yet_delivered_is_sent_after_a_kill(
    start_rig: Callable[..., BatchRig], receiver: WebhookReceiver, make_client: Callable[..., openai.OpenAI], tmp_path: Path
) -> None:
    receiver.statuses = [500] * 3
    rig = start_rig(receiver.url, data_dir=tmp_path / "data")
    batch = rig.create(chat_line("a"))
    rig.advance(3)
    (refused,) = receiver.wait_for(1)
    rig.server.kill()
    receiver.statuses = []
    rig.server.spawn(attempts=3)
    client = make_client(rig.server.base_url)
    delivered = receiver.wait_for(2, timeout=20)[-1]
    assert delivered.headers["webhook-id"] == refused.headers["webhook-id"]
    event = client.webhooks.unwrap(delivered.body, delivered.headers, secret=SECRET)
    assert (event.type, event.data.id) == ("batch.completed", batch.id)


def test_batches_without_a_webhook_url_send_nothing(start_test_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI], make_raw: Callable[..., httpx2.Client], receiver: WebhookReceiver) -> None:
    rig = BatchRig.start(start_test_server, make_client, make_raw)
    batch = rig.create(chat_line("a"))
    rig.advance(3)
    assert rig.client.batches.retrieve(batch.id).status == "completed"
    time.sleep(1)
    assert receiver.deliveries == [] and rig.admin.requests(direction="outgoing") == []


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        (["--webhook-url", "http://127.0.0.1:9/hook"], {}, "webhookUrl needs webhookSecret"),
        (["--webhook-url", "http://127.0.0.1:9/hook"], {"MOCKFILES_WEBHOOK_SECRET": "not-a-secret"}, "webhookSecret must be whsec_"),
        (["--webhook-url", "ftp://example.com/hook"], {"MOCKFILES_WEBHOOK_SECRET": SECRET}, "webhookUrl must be an http:// or https:// URL"),
        (["--webhook-url", "http://127.0.0.1:9/hook"], {"MOCKFILES_WEBHOOK_SECRET": SECRET, "MOCKFILES_WEBHOOK_ATTEMPTS": "0"}, "webhookAttempts must be positive"),
    ],
)
def test_a_webhook_setting_that_cannot_work_stops_the_server_at_once(args: list[str], env: dict[str, str], says: str, tmp_path: Path) -> None:
    import os

    run = subprocess.run(
        [str(binary_path()), "serve", "--port", "0", "--data-dir", str(tmp_path / "data"), *args],
        capture_output=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
        env={k: v for k, v in os.environ.items() if not k.startswith("MOCKFILES_WEBHOOK")} | env,
    )
    stderr = run.stderr.decode(errors="replace")
    assert run.returncode == 78 and says in stderr and stderr.count("\n") == 1, f"exit {run.returncode}\n{stderr[-2000:]}"
    assert SECRET not in stderr and "not-a-secret" not in stderr, "the secret is never printed"
