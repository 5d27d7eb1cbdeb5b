"""An application service built on mautrix-python (the library of the mautrix bridges), for the tests.

Receives transactions with MSC2409 ephemeral data and to-device messages and MSC3202 device lists and
one-time-key counts
turned on, and prints what it receives as JSON lines on stdout for the test to read.
Usage: python mautrix_appservice.py <port> <homeserver url> <id> <as_token> <hs_token> <sender_localpart>
"""
import asyncio
import json
import sys

from mautrix.appservice import AppService


def emit(kind, data):
    print(json.dumps({"kind": kind, "data": data}), flush=True)


async def main(port, homeserver, service_id, as_token, hs_token, sender_localpart):
    az = AppService(
        id=service_id,
        domain="localhost",
        server=homeserver,
        as_token=as_token,
        hs_token=hs_token,
        bot_localpart=sender_localpart,
        ephemeral_events=True,
        encryption_events=True,
    )

    async def on_event(event):
        emit("ephemeral" if event.type.is_ephemeral else "event", event.serialize())

    async def on_to_device(event):
        emit("to_device", event.serialize())

    async def on_device_lists(device_lists):
        emit("device_lists", device_lists.serialize())

    async def on_otk_counts(counts):
        emit("otk_counts", {user: {device: count.serialize() for device, count in devices.items()} for user, devices in counts.items()})

    az.matrix_event_handler(on_event)
    az.otk_handler = on_otk_counts
    az.to_device_handler = on_to_device
    az.device_list_handler = on_device_lists
    await az.start(host="127.0.0.1", port=port)
    emit("listening", port)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), *sys.argv[2:7]))
